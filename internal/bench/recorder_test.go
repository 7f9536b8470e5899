package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// call makes one request and returns the status.
func call(t *testing.T, method, target, token, body string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRecorderSalesforce(t *testing.T) {
	t.Parallel()
	sf := sfemu.New(sfemu.Options{})
	rec := NewRecorder(SideSalesforce, sf)
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	ids, err := sf.LoadRecords("Lead", []map[string]any{
		{"LastName": "A", "Company": "X", "Title": "t0"},
		{"LastName": "B", "Company": "X", "Title": "t0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(srv.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"password"}, "client_id": {sfemu.DefaultClientID}, "client_secret": {sfemu.DefaultClientSecret},
		"username": {sfemu.DefaultUsername}, "password": {sfemu.DefaultPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("no access token (status %d)", resp.StatusCode)
	}
	base := srv.URL + "/services/data/v62.0"

	tests := []struct {
		name       string
		method     string
		path, body string
		wantStatus int
		// want are the values of Title recorded per Lead after the call.
		want [2][]string
	}{
		{"sObject PATCH", "PATCH", "/sobjects/Lead/" + ids[0], `{"Title":"one"}`, 204,
			[2][]string{{`"one"`}, nil}},
		{"refused PATCH records nothing", "PATCH", "/sobjects/Lead/" + ids[0], `{"NoSuchField__c":"x"}`, 400,
			[2][]string{{`"one"`}, nil}},
		{"collection with one failure records the success only", "PATCH", "/composite/sobjects",
			`{"allOrNone":false,"records":[{"attributes":{"type":"Lead"},"id":"` + ids[1] + `","Title":"two"},` +
				`{"attributes":{"type":"Lead"},"id":"00Q000000000000AAA","Title":"ghost"}]}`, 200,
			[2][]string{{`"one"`}, {`"two"`}}},
		{"a read records nothing", "GET", "/sobjects/Lead/" + ids[1], "", 200,
			[2][]string{{`"one"`}, {`"two"`}}},
		{"composite records its updates that succeeded", "POST", "/composite",
			`{"compositeRequest":[` +
				`{"method":"PATCH","url":"/services/data/v62.0/sobjects/Lead/` + ids[0] + `","referenceId":"a","body":{"Title":"three"}},` +
				`{"method":"PATCH","url":"/services/data/v62.0/sobjects/Lead/` + ids[1] + `","referenceId":"b","body":{"Title":"refused"},` +
				`"httpHeaders":{"If-Unmodified-Since":"Mon, 01 Jan 2001 00:00:00 GMT"}},` +
				`{"method":"GET","url":"/services/data/v62.0/sobjects/Lead/` + ids[1] + `","referenceId":"c"}]}`, 200,
			[2][]string{{`"one"`, `"three"`}, {`"two"`}}},
		{"composite graph records the updates of the graphs that succeeded", "POST", "/composite/graph",
			`{"graphs":[{"graphId":"g1","compositeRequest":[` +
				`{"method":"PATCH","url":"/services/data/v62.0/sobjects/Lead/` + ids[0] + `","referenceId":"a","body":{"Title":"four"}}]},` +
				`{"graphId":"g2","compositeRequest":[` +
				`{"method":"PATCH","url":"/services/data/v62.0/sobjects/Lead/` + ids[1] + `","referenceId":"a","body":{"Title":"rolled back"}},` +
				`{"method":"PATCH","url":"/services/data/v62.0/sobjects/Lead/` + ids[0] + `","referenceId":"b","body":{"Title":"refused"},` +
				`"httpHeaders":{"If-Unmodified-Since":"Mon, 01 Jan 2001 00:00:00 GMT"}}]}]}`, 200,
			[2][]string{{`"one"`, `"three"`, `"four"`}, {`"two"`}}},
	}
	for _, tt := range tests { // sequential: each builds on the last
		if got := call(t, tt.method, base+tt.path, tok.AccessToken, tt.body, nil); got != tt.wantStatus {
			t.Fatalf("%s: status %d, want %d", tt.name, got, tt.wantStatus)
		}
		for i, id := range ids {
			if got := rec.Values(id, "Title"); strings.Join(got, ",") != strings.Join(tt.want[i], ",") {
				t.Errorf("%s: Lead %d Title writes = %v, want %v", tt.name, i, got, tt.want[i])
			}
		}
	}
	if got := rec.Values(ids[0][:15], "Title"); len(got) != 3 {
		t.Errorf("15-character id: %d writes, want the same record as its 18-character form", len(got))
	}
	st := rec.Stats()
	if st.Writes != 4 {
		t.Errorf("Stats().Writes = %d, want 4", st.Writes)
	}
	if routes := rec.Routes(); routes["PATCH composite/sobjects"] != 1 || routes["PATCH sobjects/Lead/{id}"] != 2 {
		t.Errorf("Routes() = %v", routes)
	}
}

func TestRecorderIntercom(t *testing.T) {
	t.Parallel()
	const token = "tok-recorder"
	ic := icemu.New(icemu.Options{Tokens: []string{token}})
	t.Cleanup(ic.Close)
	if err := ic.CustomAttribute("contact", "job_title", "string"); err != nil {
		t.Fatal(err)
	}
	ids, err := ic.BulkLoadContacts([]icemu.ContactSeed{{Role: "lead", Email: "a@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(SideIntercom, ic)
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	hdr := map[string]string{"Intercom-Version": "2.11"}

	if got := call(t, "PUT", srv.URL+"/contacts/"+ids[0], token, `{"name":"Ann","custom_attributes":{"job_title":"CTO"}}`, hdr); got != 200 {
		t.Fatalf("PUT status %d", got)
	}
	if got := call(t, "PUT", srv.URL+"/contacts/"+ids[0], "wrong-token", `{"name":"Bob"}`, hdr); got != 401 {
		t.Fatalf("unauthorized PUT status %d", got)
	}
	if got := rec.Values(ids[0], "custom_attributes.job_title"); len(got) != 1 || got[0] != `"CTO"` {
		t.Errorf("job_title writes = %v, want [\"CTO\"]", got)
	}
	if got := rec.Values(ids[0], "name"); len(got) != 1 || got[0] != `"Ann"` {
		t.Errorf("name writes = %v, want only the authorized one", got)
	}
	var seen []Write
	rec.Observe(func(w Write) { seen = append(seen, w) })
	ic.SetRateLimit(6) // one call per 10-second window
	for range 3 {
		call(t, "PUT", srv.URL+"/contacts/"+ids[0], token, `{"name":"Cy"}`, hdr)
	}
	if st := rec.Stats(); st.TooMany == 0 {
		t.Errorf("Stats().TooMany = 0 after exceeding the rate limit")
	}
	if len(seen) != 1 {
		t.Errorf("observer saw %d writes, want 1 (the rest were refused)", len(seen))
	}
}
