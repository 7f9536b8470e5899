package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/store"
)

// TestBackfillAPI: the dry run answers the plan and writes nothing; a run
// over the mass-change brake is refused until the field is confirmed; a
// started backfill shows its progress and can be canceled once (F3.8).
func TestBackfillAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 5
	// Two of five Leads (40%) have another phone already.
	_, leads := b.phonePairs(t, n, map[int]string{0: "+44 1", 1: "+44 2"})

	res := b.admin(t, http.MethodPost, "/api/v1/backfills", `{"dry_run": true, "objects": ["Lead"], "direction": "to_salesforce"}`)
	if res.status != http.StatusOK {
		t.Fatalf("dry run: %d %s", res.status, res.body)
	}
	var plan engine.BackfillPlan
	if err := json.Unmarshal(res.body, &plan); err != nil {
		t.Fatal(err)
	}
	if plan.Pairs != n || plan.SalesforceChanges != n || len(plan.NeedsConfirmation) != 1 || plan.NeedsConfirmation[0] != "Phone" {
		t.Fatalf("plan: %+v", plan)
	}
	if rec, _ := b.sf.Record("Lead", leads[0]); rec["Phone"] != "+44 1" {
		t.Fatalf("the dry run wrote %v", rec["Phone"])
	}

	res = b.admin(t, http.MethodPost, "/api/v1/backfills", `{"objects": ["Lead"], "direction": "to_salesforce"}`)
	if res.status != http.StatusConflict || !strings.Contains(string(res.body), "confirm_fields") || !strings.Contains(string(res.body), "Phone") {
		t.Fatalf("run over the brake: %d %s", res.status, res.body)
	}
	res = b.admin(t, http.MethodPost, "/api/v1/backfills", `{"objects": ["Lead"], "direction": "sideways"}`)
	if res.status != http.StatusBadRequest {
		t.Fatalf("bad direction: %d %s", res.status, res.body)
	}

	res = b.admin(t, http.MethodPost, "/api/v1/backfills", `{"objects": ["Lead"], "direction": "to_salesforce", "confirm_fields": ["Phone"]}`)
	if res.status != http.StatusAccepted {
		t.Fatalf("run: %d %s", res.status, res.body)
	}
	var started engine.BackfillProgress
	if err := json.Unmarshal(res.body, &started); err != nil {
		t.Fatal(err)
	}
	if started.ID == 0 || started.State != store.BackfillRunning || started.PairsTotal != n {
		t.Fatalf("started: %+v", started)
	}
	path := fmt.Sprintf("/api/v1/backfills/%d", started.ID)
	if res = b.admin(t, http.MethodGet, path, ""); res.status != http.StatusOK || !strings.Contains(string(res.body), `"pairs_total":5`) {
		t.Fatalf("progress: %d %s", res.status, res.body)
	}
	if res = b.admin(t, http.MethodPost, path+"/cancel", ""); res.status != http.StatusOK || !strings.Contains(string(res.body), `"state":"canceled"`) {
		t.Fatalf("cancel: %d %s", res.status, res.body)
	}
	if res = b.admin(t, http.MethodPost, path+"/cancel", ""); res.status != http.StatusConflict {
		t.Fatalf("second cancel: %d %s", res.status, res.body)
	}
	if res = b.admin(t, http.MethodGet, "/api/v1/backfills/999", ""); res.status != http.StatusNotFound {
		t.Fatalf("unknown backfill: %d %s", res.status, res.body)
	}
}

// phonePairs connects the bundle's connection, maps the Intercom phone to
// the Lead's Phone both ways and pairs n Intercom leads (phone "+1 555
// 000i") with n Leads (phone sfPhones[i], else none) without syncing them.
func (b *bundle) phonePairs(t *testing.T, n int, sfPhones map[int]string) (ids, leads []string) {
	t.Helper()
	b.connectSalesforce(t, b.connID)
	b.connectIntercomToken(t, b.connID)
	ctx := t.Context()
	if err := b.store.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.PutSettings(ctx, b.connID, []byte(`{"mappings": [
			{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "both"}]}`), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	seeds := make([]icemu.ContactSeed, n)
	recs := make([]map[string]any, n)
	for i := range n {
		seeds[i] = icemu.ContactSeed{Role: "lead", Email: fmt.Sprintf("b%d@example.com", i), Phone: fmt.Sprintf("+1 555 %04d", i)}
		recs[i] = map[string]any{"Email": seeds[i].Email, "LastName": "L", "Company": "C"}
		if p, ok := sfPhones[i]; ok {
			recs[i]["Phone"] = p
		}
	}
	ids, err := b.ic.BulkLoadContacts(seeds)
	if err != nil {
		t.Fatal(err)
	}
	if leads, err = b.sf.LoadRecords("Lead", recs); err != nil {
		t.Fatal(err)
	}
	if err := b.store.InTx(ctx, func(tx store.Tx) error {
		for i := range n {
			if _, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: b.connID, Kind: store.MappingPerson, IntercomID: ids[i],
				IntercomRole: store.RoleLead, SFObject: store.ObjectLead, SFID: leads[i], MatchKey: "test"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids, leads
}
