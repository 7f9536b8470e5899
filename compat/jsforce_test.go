package compat

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// jsforceSteps is every step salesforce.mjs reports, in order.
var jsforceSteps = []string{
	"login.password", "login.password-rejected", "identity", "login.web-server", "login.web-server-pkce",
	"oauth.refresh-on-invalid-session", "oauth.revoke",
	"describe.global", "describe.sobject",
	"crud.create", "crud.retrieve", "crud.update", "crud.upsert", "crud.task-and-case", "query.all-fields", "query.relationship", "crud.delete",
	"errors.invalid-session", "errors.request-limit", "errors.required-field", "errors.malformed-query", "errors.unknown-field",
	"collections.create", "collections.partial-failure", "collections.update",
	"collections.retrieve", "collections.upsert", "collections.delete",
	"page.seed", "query.queryMore", "query.autoFetch", "query.count", "query.builder", "query.datetime-literal", "query.queryAll",
	"composite", "composite.all-or-none", "limits", "updated-deleted", "api-version.62",
}

// jsforceKnown lists steps that fail because the emulator disagrees with
// Salesforce, each reported to the emulator's owner (see checkSteps).
var jsforceKnown = map[string]incompat{}

// pageRecords is more than one 2,000-record query batch, so paging is real.
const pageRecords = 2050

// TestJSForce drives the Salesforce emulator with jsforce 3 (salesforce.mjs):
// password and web-server logins, refresh on INVALID_SESSION_ID, revoke,
// describe, CRUD and upsert, collections, query paging over 2,000 records,
// queryAll, composite, limits and the updated/deleted resources.
func TestJSForce(t *testing.T) {
	t.Parallel()
	node := requireNode(t)

	const (
		clientID = "compat-client"
		secret   = "compat-secret"
		username = "compat@example.com"
		password = "compat-password"
	)
	emu := sfemu.New(sfemu.Options{
		Seed:         "empty",
		ClientID:     clientID,
		ClientSecret: secret,
		Username:     username,
		Password:     password,
		AutoApprove:  true,
		// The org's clock runs 10 minutes behind the script's, so the
		// script can ask updated/deleted for [now-60m, now] and cover every
		// write at the emulator's minute granularity.
		Now: func() time.Time { return time.Now().Add(-10 * time.Minute) },
	})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	addExternalIDField(t, emu, "Lead")

	// A second org with the same credentials and a daily limit of 10 calls,
	// so the script runs into REQUEST_LIMIT_EXCEEDED quickly.
	limited := httptest.NewServer(sfemu.New(sfemu.Options{
		ClientID: clientID, ClientSecret: secret, Username: username, Password: password, APIDailyLimit: 10,
	}))
	t.Cleanup(limited.Close)

	steps := runScript(t, node, "salesforce.mjs", []string{srv.URL}, map[string]string{
		"SF_CLIENT_ID":     clientID,
		"SF_CLIENT_SECRET": secret,
		"SF_USERNAME":      username,
		"SF_PASSWORD":      password,
		"SF_REDIRECT_URI":  "http://localhost:1717/oauth/callback",
		"SF_RUN":           runID(t),
		"SF_PAGE_RECORDS":  strconv.Itoa(pageRecords),
		"SF_LIMITED_URL":   limited.URL,
	})
	checkSteps(t, steps, jsforceSteps, jsforceKnown)
}

// addExternalIDField adds a custom text field marked External ID to object,
// as an admin does in Setup before anyone can upsert (a standard org has
// none), and returns its name.
func addExternalIDField(t *testing.T, emu *sfemu.Server, object string) string {
	t.Helper()
	const name = "Compat_Ext_Id__c"
	err := emu.AddField(sfemu.FieldSpec{Object: object, Name: name, Type: "string", Length: 80, ExternalID: true, Unique: true})
	if err != nil {
		t.Fatalf("add external-id field %s.%s: %v", object, name, err)
	}
	return name
}
