package compat

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// pubsubSteps is every step pubsub.mjs reports, in order.
var pubsubSteps = []string{
	"connect", "subscribe.earliest", "subscribe.replay-id", "subscribe.all-change-events", "subscribe.live", "subscribe.gap-event",
	"errors.invalid-token", "errors.unknown-topic",
}

// TestPubSubNodeClient drives the emulator's Pub/Sub API with
// salesforce-pubsub-api-client (pubsub.mjs), unchanged: it subscribes over
// TLS from the earliest event, from a replay id, to all change events and
// live, decodes the Avro events (a gap event too) and their field bitmaps
// with the schemas the emulator serves, and meets the auth and unknown-topic
// errors.
func TestPubSubNodeClient(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	if _, err := os.Stat(filepath.Join("node_modules", "salesforce-pubsub-api-client", "package.json")); err != nil {
		t.Skip("compat/node_modules/salesforce-pubsub-api-client is missing; run `npm ci` in compat/")
	}
	const (
		clientID = "compat-client"
		secret   = "compat-secret"
		username = "compat@example.com"
		password = "compat-password"
	)
	emu := sfemu.New(sfemu.Options{Seed: "empty", ClientID: clientID, ClientSecret: secret, Username: username, Password: password})
	// The client only speaks TLS and requires an https instance URL: both
	// sides are served over TLS, the REST side trusted by node through
	// NODE_EXTRA_CA_CERTS as a user would.
	srv := httptest.NewTLSServer(emu)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "rest-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _, err := sfemu.SelfSignedCertificate()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := emu.StartPubSub("127.0.0.1:0", &cert)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.StopPubSub)
	emu.SetKeepAliveInterval(200e6) // 200 ms: the live step waits for a keep-alive

	token := passwordToken(t, srv, clientID, secret, username, password)
	rest := func(method, path string, body any) map[string]any {
		t.Helper()
		buf, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, srv.URL+"/services/data/v62.0"+path, bytes.NewReader(buf))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sforce-Call-Options", "client=compat-go")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, out)
		}
		var m map[string]any
		_ = json.Unmarshal(out, &m)
		return m
	}
	lead := rest(http.MethodPost, "/sobjects/Lead", map[string]any{"FirstName": "Ada", "LastName": "Lovelace", "Company": "Compat Co", "Email": "ada@example.com"})["id"].(string)
	rest(http.MethodPatch, "/sobjects/Lead/"+lead, map[string]any{"LastName": "Byron", "Email": nil})
	contact := rest(http.MethodPost, "/sobjects/Contact", map[string]any{"FirstName": "Grace", "LastName": "Hopper", "Email": "grace@example.com"})["id"].(string)

	steps := runScript(t, node, "pubsub.mjs", []string{addr}, map[string]string{
		"SF_INSTANCE_URL":     srv.URL,
		"SF_ACCESS_TOKEN":     token,
		"SF_ORG_ID":           emu.OrgID(),
		"SF_LEAD_ID":          lead,
		"SF_CONTACT_ID":       contact,
		"SF_USERNAME":         username,
		"SF_PASSWORD":         password,
		"NODE_EXTRA_CA_CERTS": caFile,
	})
	checkSteps(t, steps, pubsubSteps, nil)
}

// passwordToken gets an access token with the password grant over srv.
func passwordToken(t *testing.T, srv *httptest.Server, clientID, secret, username, password string) string {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "client_id": {clientID}, "client_secret": {secret}, "username": {username}, "password": {password}}
	res, err := srv.Client().Post(srv.URL+"/services/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("password grant: %d %v", res.StatusCode, err)
	}
	return tok.AccessToken
}
