package salesforce_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce"
)

func TestCRUD(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	c := b.client

	id := mustCreate(t, c, "Lead", map[string]any{"LastName": "Lovelace", "FirstName": "Ada", "Company": "Engines", "Email": "ada@example.com"})
	if !strings.HasPrefix(id, "00Q") || len(id) != 18 {
		t.Fatalf("id = %q, want an 18-character Lead id", id)
	}

	rec, err := c.Get(ctx, "Lead", id, "Id", "LastName", "Email", "SystemModstamp", "IsConverted")
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID() != id || rec.Type() != "Lead" || rec.String("Email") != "ada@example.com" || rec.Bool("IsConverted") {
		t.Fatalf("record = %v", rec)
	}
	created, err := rec.Time("SystemModstamp")
	if err != nil || created.IsZero() {
		t.Fatalf("SystemModstamp = %v, %v", created, err)
	}

	if err := c.Update(ctx, "Lead", id, map[string]any{"Email": "ada@lovelace.example", "FirstName": nil}); err != nil {
		t.Fatal(err)
	}
	rec, err = c.Get(ctx, "Lead", id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.String("Email") != "ada@lovelace.example" || rec.String("FirstName") != "" || rec.String("Company") != "Engines" {
		t.Fatalf("after update: %v", rec)
	}
	if stamp, _ := rec.Time("SystemModstamp"); stamp.Before(created) {
		t.Fatalf("SystemModstamp went back: %v < %v", stamp, created)
	}

	if err := c.Delete(ctx, "Lead", id); err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(ctx, "Lead", id)
	var apiErr *salesforce.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != salesforce.CodeEntityIsDeleted {
		t.Fatalf("Get after delete: %v, want ENTITY_IS_DELETED", err)
	}

	_, err = c.Get(ctx, "Lead", "00Q000000000000AAA")
	if !errors.Is(err, salesforce.ErrNotFound) {
		t.Fatalf("Get unknown id: %v, want ErrNotFound", err)
	}
}

func TestInvalidInputIsRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	c := b.client

	tests := []struct {
		name string
		call func() error
	}{
		{"ObjectWithSlash", func() error { _, err := c.Create(ctx, "Lead/../limits", newLead("x")); return err }},
		{"ShortID", func() error { _, err := c.Get(ctx, "Lead", "00Q123"); return err }},
		{"IDWithPath", func() error { return c.Update(ctx, "Lead", "00Q000000000000/..", nil) }},
		{"FieldWithComma", func() error { _, err := c.Get(ctx, "Lead", "00Q000000000000AAA", "Id,Name"); return err }},
		{"EmptyExternalValue", func() error { _, _, err := c.Upsert(ctx, "Lead", "Email", "", newLead("x")); return err }},
		{"CreateManyWithID", func() error {
			_, err := c.CreateMany(ctx, "Lead", []map[string]any{{"Id": "00Q000000000000AAA"}}, false)
			return err
		}},
		{"UpdateManyWithoutID", func() error { _, err := c.UpdateMany(ctx, "Lead", []map[string]any{newLead("x")}, false); return err }},
		{"CompositeTooLarge", func() error {
			_, err := c.Composite(ctx, false, make([]salesforce.Subrequest, salesforce.MaxSubrequests+1))
			return err
		}},
		{"CompositeBadReference", func() error {
			_, err := c.Composite(ctx, false, []salesforce.Subrequest{{Method: "GET", URL: "limits", ReferenceID: "a-b"}})
			return err
		}},
	}
	for _, tt := range tests {
		// Sequential: each subtest compares the shared call count.
		t.Run(tt.name, func(t *testing.T) {
			before := b.calls.len()
			if err := tt.call(); err == nil {
				t.Fatal("bad input accepted")
			}
			if b.calls.len() != before {
				t.Fatal("bad input reached Salesforce")
			}
		})
	}
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	if err := b.emu.AddField(sfemu.FieldSpec{Object: "Lead", Name: "Ferry_Id__c", Type: "string", Length: 64, ExternalID: true, Unique: true}); err != nil {
		t.Fatal(err)
	}
	c := b.client

	const ext = "ic/user 42" // a slash and a space must survive the URL path
	id, created, err := c.Upsert(ctx, "Lead", "Ferry_Id__c", ext, newLead("Upsert"))
	if err != nil || !created || id == "" {
		t.Fatalf("first upsert = %q, %v, %v; want created", id, created, err)
	}
	id2, created, err := c.Upsert(ctx, "Lead", "Ferry_Id__c", ext, map[string]any{"LastName": "Upserted"})
	if err != nil || created || id2 != id {
		t.Fatalf("second upsert = %q, %v, %v; want update of %s", id2, created, err, id)
	}
	rec, err := c.Get(ctx, "Lead", id, "LastName", "Ferry_Id__c")
	if err != nil || rec.String("LastName") != "Upserted" || rec.String("Ferry_Id__c") != ext {
		t.Fatalf("record = %v, %v", rec, err)
	}

	// A non-unique external id matching two records answers 300.
	if err := b.emu.AddField(sfemu.FieldSpec{Object: "Lead", Name: "Shared__c", Type: "string", Length: 20, ExternalID: true}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"SharedA", "SharedB"} {
		lead := newLead(name)
		lead["Shared__c"] = "same"
		mustCreate(t, c, "Lead", lead)
	}
	_, _, err = c.Upsert(ctx, "Lead", "Shared__c", "same", map[string]any{"LastName": "Which"})
	var multi *salesforce.APIError
	if !errors.As(err, &multi) || multi.StatusCode != 300 {
		t.Fatalf("ambiguous upsert: %v, want an *APIError with status 300", err)
	}

	_, _, err = c.Upsert(ctx, "Lead", "No_Such_Field__c", "x", newLead("x"))
	var apiErr *salesforce.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != salesforce.CodeNotFound {
		t.Fatalf("upsert on a bad field: %v, want NOT_FOUND", err)
	}
}

// TestErrorCodes checks that every error code the daemon relies on arrives
// as an *APIError with Salesforce's status, code, message and fields.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	tests := []struct {
		name       string
		run        func(t *testing.T, b *testBundle) error
		wantStatus int
		wantCode   string
		wantField  string
		wantIs     error
		anyCode    []string
		noAPIError bool // a transport failure
		transient  bool
	}{
		{
			name: "RequiredFieldMissing",
			run: func(t *testing.T, b *testBundle) error {
				_, err := b.client.Create(ctx, "Lead", map[string]any{"LastName": "NoCompany"})
				return err
			},
			wantStatus: 400, wantCode: salesforce.CodeRequiredFieldMissing, wantField: "Company",
		},
		{
			name: "InvalidField",
			run: func(t *testing.T, b *testBundle) error {
				_, err := b.client.Create(ctx, "Lead", map[string]any{"LastName": "X", "Company": "Y", "Foo__c": 1})
				return err
			},
			wantStatus: 400, wantCode: salesforce.CodeInvalidField,
		},
		{
			name: "InvalidFieldInQuery",
			run: func(t *testing.T, b *testBundle) error {
				for _, err := range b.client.Query(ctx, "SELECT Naem FROM Lead") {
					return err
				}
				return nil
			},
			wantStatus: 400, wantCode: salesforce.CodeInvalidField,
		},
		{
			name: "InvalidType",
			run: func(t *testing.T, b *testBundle) error {
				_, err := b.client.Create(ctx, "Nope__c", map[string]any{"Name": "x"})
				return err
			},
			// The REST sObject URL of an unknown type is an unknown
			// resource; either code is what Salesforce documents.
			anyCode: []string{salesforce.CodeInvalidType, salesforce.CodeNotFound},
		},
		{
			name: "InvalidTypeInQuery",
			run: func(t *testing.T, b *testBundle) error {
				for _, err := range b.client.Query(ctx, "SELECT Id FROM Nope__c") {
					return err
				}
				return nil
			},
			wantStatus: 400, wantCode: salesforce.CodeInvalidType,
		},
		{
			name: "NotFound",
			run: func(t *testing.T, b *testBundle) error {
				_, _, err := b.client.Upsert(ctx, "Lead", "Bad_Ext__c", "v", newLead("x"))
				return err
			},
			wantStatus: 404, wantCode: salesforce.CodeNotFound, wantIs: salesforce.ErrNotFound,
		},
		{
			name: "MalformedQuery",
			run: func(t *testing.T, b *testBundle) error {
				for _, err := range b.client.Query(ctx, "SELECT Id FROM Lead WHERE") {
					return err
				}
				return nil
			},
			wantStatus: 400, wantCode: salesforce.CodeMalformedQuery,
		},
		{
			name: "RestrictedPicklist",
			run: func(t *testing.T, b *testBundle) error {
				if err := b.emu.RestrictPicklist("Lead", "LeadSource", true); err != nil {
					t.Fatal(err)
				}
				_, err := b.client.Create(ctx, "Lead", map[string]any{"LastName": "X", "Company": "Y", "LeadSource": "Carrier Pigeon"})
				return err
			},
			wantStatus: 400, wantCode: salesforce.CodeInvalidOrNullForRestrictedPicklist, wantField: "LeadSource",
		},
		{
			name: "InvalidFieldForInsertUpdate",
			run: func(t *testing.T, b *testBundle) error {
				_, err := b.client.Create(ctx, "Lead", map[string]any{"LastName": "X", "Company": "Y", "IsConverted": true})
				return err
			},
			wantStatus: 400, wantCode: salesforce.CodeInvalidFieldForInsertUpdate, wantField: "IsConverted",
		},
		{
			name: "DuplicateValue",
			run: func(t *testing.T, b *testBundle) error {
				if err := b.emu.AddField(sfemu.FieldSpec{Object: "Lead", Name: "Ext__c", Type: "string", Length: 40, Unique: true, ExternalID: true}); err != nil {
					t.Fatal(err)
				}
				lead := newLead("Dup")
				lead["Ext__c"] = "same"
				mustCreate(t, b.client, "Lead", lead)
				_, err := b.client.Create(ctx, "Lead", lead)
				return err
			},
			wantStatus: 400, wantCode: salesforce.CodeDuplicateValue,
		},
		{
			name: "EntityIsDeleted",
			run: func(t *testing.T, b *testBundle) error {
				id := mustCreate(t, b.client, "Lead", newLead("Gone"))
				if err := b.client.Delete(ctx, "Lead", id); err != nil {
					t.Fatal(err)
				}
				return b.client.Delete(ctx, "Lead", id)
			},
			wantCode: salesforce.CodeEntityIsDeleted,
		},
		{
			name: "CannotUpdateConvertedLead",
			run: func(t *testing.T, b *testBundle) error {
				id := mustCreate(t, b.client, "Lead", newLead("Converted"))
				if _, err := b.emu.ConvertLead(sfemu.LeadConvert{LeadID: id, DoNotCreateOpportunity: true}); err != nil {
					t.Fatal(err)
				}
				return b.client.Update(ctx, "Lead", id, map[string]any{"Phone": "+1 555 0100"})
			},
			wantStatus: 400, wantCode: salesforce.CodeCannotUpdateConvertedLead,
		},
		{
			name: "InvalidSessionID",
			run: func(t *testing.T, b *testBundle) error {
				b.emu.RevokeAllTokens()
				_, err := b.client.Limits(ctx)
				return err
			},
			wantStatus: 401, wantCode: salesforce.CodeInvalidSessionID, wantIs: salesforce.ErrTokenRevoked,
		},
		{
			name: "RequestLimitExceeded",
			run: func(t *testing.T, b *testBundle) error {
				b.emu.SetAPIRemaining(0)
				_, err := b.client.Limits(ctx)
				return err
			},
			wantStatus: 403, wantCode: salesforce.CodeRequestLimitExceeded, wantIs: salesforce.ErrRequestLimitExceeded,
		},
		{
			name: "APIDisabledForOrg",
			run: func(t *testing.T, b *testBundle) error {
				b.emu.SetAPIEnabled(false)
				_, err := b.client.Limits(ctx)
				return err
			},
			wantStatus: 403, wantCode: salesforce.CodeAPIDisabledForOrg, wantIs: salesforce.ErrAPIDisabled,
		},
		{
			name: "ServerUnavailableIsTransient",
			run: func(t *testing.T, b *testBundle) error {
				b.emu.SetFaults(sfemu.Faults{ErrorRate: 1, ErrorStatus: 503})
				_, err := b.client.Limits(ctx)
				return err
			},
			wantStatus: 503, wantCode: salesforce.CodeServerUnavailable, transient: true,
		},
		{
			name: "TimeoutIsTransient",
			run: func(t *testing.T, b *testBundle) error {
				b.emu.SetFaults(sfemu.Faults{LatencyMs: 300})
				hc := *b.srv.Client()
				hc.Timeout = 20 * time.Millisecond
				c := salesforce.NewClient(salesforce.StaticSource{Tok: b.tok}, salesforce.ClientOptions{HTTPClient: &hc})
				_, err := c.Limits(ctx)
				return err
			},
			noAPIError: true, transient: true,
		},
		{
			name: "UnableToLockRowIsTransient",
			run: func(t *testing.T, b *testBundle) error {
				b.emu.SetFaults(sfemu.Faults{LockRowRate: 1})
				_, err := b.client.Create(ctx, "Lead", newLead("Locked"))
				return err
			},
			wantStatus: 400, wantCode: salesforce.CodeUnableToLockRow, transient: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			err := tt.run(t, b)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
			if salesforce.IsTransient(err) != tt.transient {
				t.Fatalf("IsTransient(%v) = %v, want %v", err, !tt.transient, tt.transient)
			}
			var apiErr *salesforce.APIError
			if errors.As(err, &apiErr) == tt.noAPIError {
				t.Fatalf("err = %v (%T); want *APIError: %v", err, err, !tt.noAPIError)
			}
			if tt.noAPIError {
				return
			}
			if tt.anyCode != nil {
				if !contains(tt.anyCode, apiErr.Code) {
					t.Fatalf("code = %q, want one of %v", apiErr.Code, tt.anyCode)
				}
				return
			}
			if tt.wantStatus != 0 && apiErr.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", apiErr.StatusCode, tt.wantStatus)
			}
			if apiErr.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", apiErr.Code, tt.wantCode)
			}
			if apiErr.Message == "" {
				t.Error("no message")
			}
			if tt.wantField != "" && !contains(apiErr.Fields, tt.wantField) {
				t.Errorf("fields = %v, want %s", apiErr.Fields, tt.wantField)
			}
			if !strings.Contains(err.Error(), apiErr.Code) || !strings.Contains(err.Error(), apiErr.Message) {
				t.Errorf("error text %q hides Salesforce's code or message", err)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
