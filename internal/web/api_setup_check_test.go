package web_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

// TestSetupCheckAPI: GET /api/v1/setup-check describes the org on demand
// and answers every problem with its exact message and fix and the
// features it turns off; the connection's JSON shows the stored result;
// the check runs again after the admin fixes the field (issue 8 item 3,
// F1.4).
func TestSetupCheckAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if res := b.admin(t, http.MethodGet, "/api/v1/setup-check", ""); res.status != http.StatusConflict {
		t.Fatalf("before Salesforce is connected: %d %s, want 409", res.status, res.body)
	}
	b.connectSalesforce(t, b.connID)
	b.connectIntercomToken(t, b.connID)
	// Connecting ran the check: the connection shows its result.
	var atConnect struct {
		SetupCheck *struct {
			OK bool `json:"ok"`
		} `json:"setup_check"`
	}
	if err := json.Unmarshal(b.admin(t, http.MethodGet, "/api/v1/connections/"+strconv.FormatInt(b.connID, 10), "").body, &atConnect); err != nil {
		t.Fatal(err)
	}
	if atConnect.SetupCheck == nil || !atConnect.SetupCheck.OK {
		t.Fatalf("no setup check at connect: %+v", atConnect.SetupCheck)
	}
	if err := b.sf.SetFieldHidden("Task", "Type", true); err != nil {
		t.Fatal(err)
	}

	type result struct {
		ConnectionID int64 `json:"connection_id"`
		OK           bool  `json:"ok"`
		Problems     []struct {
			Object, Kind, Message, Fix string
			Fields                     []string
			Features                   []string
		} `json:"problems"`
		Features []struct {
			Feature   string `json:"feature"`
			Available bool   `json:"available"`
			Reason    string `json:"reason"`
		} `json:"features"`
	}
	res := b.admin(t, http.MethodGet, "/api/v1/setup-check", "")
	if res.status != http.StatusOK {
		t.Fatalf("setup check: %d %s", res.status, res.body)
	}
	var got result
	if err := json.Unmarshal(res.body, &got); err != nil {
		t.Fatal(err)
	}
	want := "ferry requires these fields in the Salesforce Task object: Type"
	if got.OK || len(got.Problems) != 1 || got.Problems[0].Message != want ||
		got.Problems[0].Fix != "Object Manager > Task > Fields & Relationships > Type > Set Field-Level Security > Visible" {
		t.Fatalf("setup check = %s", res.body)
	}
	for _, f := range got.Features {
		if (f.Feature == "tasks") == f.Available || (f.Feature == "tasks" && f.Reason != want) {
			t.Errorf("feature %+v; want only tasks off, with the message as reason", f)
		}
	}

	conn := b.admin(t, http.MethodGet, "/api/v1/connections/"+strconv.FormatInt(b.connID, 10), "")
	var view struct {
		SetupCheck *result `json:"setup_check"`
	}
	if err := json.Unmarshal(conn.body, &view); err != nil {
		t.Fatal(err)
	}
	if view.SetupCheck == nil || len(view.SetupCheck.Problems) != 1 || view.SetupCheck.Problems[0].Message != want {
		t.Fatalf("the connection does not show the setup check: %s", conn.body)
	}

	if err := b.sf.SetFieldHidden("Task", "Type", false); err != nil {
		t.Fatal(err)
	}
	res = b.admin(t, http.MethodGet, "/api/v1/setup-check", "")
	got = result{}
	if err := json.Unmarshal(res.body, &got); err != nil || !got.OK || len(got.Problems) != 0 {
		t.Fatalf("after the fix: %d %s", res.status, res.body)
	}
}
