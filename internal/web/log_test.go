package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// TestLogsHoldNoSecrets runs the flows that handle secrets with debug logs
// on, then looks for every secret in what was logged.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cb := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID))
	if res := b.do(t, http.MethodGet, cb.String(), "", ""); res.status != http.StatusSeeOther {
		t.Fatalf("salesforce callback: %d", res.status)
	}
	// A failing callback too: replaying logs the refusal.
	b.do(t, http.MethodGet, cb.String(), "", "")
	icb := b.authorize(t, "/connect/intercom?connection="+itoa(b.connID))
	if res := b.do(t, http.MethodGet, icb.String(), "", ""); res.status != http.StatusSeeOther {
		t.Fatalf("intercom callback: %d", res.status)
	}
	body := notification(b.ic.AppID(), "notif_secret", 1)
	if res := b.deliver(t, body, icClientSecret); res.status != http.StatusOK {
		t.Fatalf("webhook: %d", res.status)
	}
	b.deliver(t, body, "wrong-secret")
	b.do(t, http.MethodPost, "/api/v1/session", "", `{"token":"`+adminToken+`"}`)

	sfCred, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialSalesforce)
	if err != nil {
		t.Fatal(err)
	}
	sfTok, _ := sfCred.SalesforceToken()
	icCred, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialIntercom)
	if err != nil {
		t.Fatal(err)
	}
	icTok, _ := icCred.IntercomToken()

	logs := b.logs.String()
	if !strings.Contains(logs, "salesforce connected") || !strings.Contains(logs, "/webhooks/intercom") {
		t.Fatalf("the logs miss the flows; the test would prove nothing:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"admin token":             adminToken,
		"salesforce access token": sfTok.AccessToken,
		"refresh token":           sfTok.RefreshToken,
		"intercom token":          icTok.AccessToken,
		"salesforce code":         cb.Query().Get("code"),
		"intercom code":           icb.Query().Get("code"),
		"state":                   cb.Query().Get("state"),
		"client secret":           icClientSecret,
		"webhook body":            "ann@example.com",
	} {
		if secret == "" {
			t.Fatalf("%s is empty", name)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain the %s", name)
		}
	}
}
