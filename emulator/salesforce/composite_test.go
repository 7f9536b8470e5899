package salesforce_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/salesforce"
)

func leadRec(last string) map[string]any {
	return map[string]any{"attributes": map[string]any{"type": "Lead"}, "LastName": last, "Company": "Co"}
}

func TestCollections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		allOrNone bool
		wantLeads float64
		wantErr   []string // statusCode per record, "" for success
	}{
		{"partial success", false, 2, []string{"", "REQUIRED_FIELD_MISSING", ""}},
		{"all or none", true, 0, []string{"ALL_OR_NONE_OPERATION_ROLLED_BACK", "REQUIRED_FIELD_MISSING", "ALL_OR_NONE_OPERATION_ROLLED_BACK"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			bad := map[string]any{"attributes": map[string]any{"type": "Lead"}, "LastName": "NoCompany"}
			r := b.do("POST", v+"/composite/sobjects", map[string]any{"allOrNone": tc.allOrNone, "records": []any{leadRec("A"), bad, leadRec("C")}})
			if r.Status != 200 {
				t.Fatalf("status %d %s", r.Status, r.Body)
			}
			res := r.JSON(t).([]any)
			for i, x := range res {
				m := x.(map[string]any)
				errs := m["errors"].([]any)
				if tc.wantErr[i] == "" {
					if m["success"] != true || len(errs) != 0 || m["id"] == nil {
						t.Errorf("record %d: %v", i, m)
					}
					continue
				}
				if m["success"] != false || len(errs) != 1 || errs[0].(map[string]any)["statusCode"] != tc.wantErr[i] {
					t.Errorf("record %d: %v, want %s", i, m, tc.wantErr[i])
				}
				if _, ok := errs[0].(map[string]any)["errorCode"]; ok {
					t.Errorf("collections errors use statusCode, not errorCode")
				}
			}
			if n := b.query("SELECT COUNT() FROM Lead").Obj(t)["totalSize"]; n != tc.wantLeads {
				t.Errorf("leads = %v, want %v", n, tc.wantLeads)
			}
		})
	}
	t.Run("unknown type and id on create", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := b.do("POST", v+"/composite/sobjects", map[string]any{"records": []any{
			map[string]any{"attributes": map[string]any{"type": "Nope"}, "Name": "x"},
			map[string]any{"attributes": map[string]any{"type": "Account"}, "id": "001Fy0000000001AAA", "Name": "x"},
		}})
		res := r.JSON(t).([]any)
		for i, want := range []string{"INVALID_TYPE", "INVALID_FIELD"} {
			e := res[i].(map[string]any)["errors"].([]any)[0].(map[string]any)
			if e["statusCode"] != want {
				t.Errorf("record %d: %v, want %s", i, e, want)
			}
		}
	})
	t.Run("201 records", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		recs := make([]any, 201)
		for i := range recs {
			recs[i] = leadRec(fmt.Sprint(i))
		}
		r := b.do("POST", v+"/composite/sobjects", map[string]any{"records": recs})
		if r.Status != 400 || r.ErrorCode(t) != "EXCEEDED_ID_LIMIT" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		r = b.do("POST", v+"/composite/sobjects", map[string]any{"records": recs[:200]})
		if r.Status != 200 || len(r.JSON(t).([]any)) != 200 {
			t.Fatalf("200 records: %d", r.Status)
		}
	})
	t.Run("update, retrieve, upsert, delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.control("POST", "/__emulator/fields", map[string]any{"object": "Contact", "name": "Intercom_Id__c", "type": "string", "externalId": true, "unique": true})
		a := b.create("Contact", map[string]any{"LastName": "A"})
		c := b.create("Contact", map[string]any{"LastName": "C"})
		r := b.do("PATCH", v+"/composite/sobjects", map[string]any{"records": []any{
			map[string]any{"attributes": map[string]any{"type": "Contact"}, "id": a, "Title": "T1"},
			map[string]any{"attributes": map[string]any{"type": "Contact"}, "id": c, "Email": "bad"},
		}})
		res := r.JSON(t).([]any)
		if res[0].(map[string]any)["success"] != true || res[1].(map[string]any)["success"] != false {
			t.Fatalf("update: %s", r.Body)
		}
		r = b.do("GET", v+"/composite/sobjects/Contact?ids="+a+","+c+"&fields=Id,Title", nil)
		got := r.JSON(t).([]any)
		if len(got) != 2 || got[0].(map[string]any)["Title"] != "T1" || got[1].(map[string]any)["Title"] != nil {
			t.Fatalf("retrieve: %s", r.Body)
		}
		r = b.do("PATCH", v+"/composite/sobjects/Contact/Intercom_Id__c", map[string]any{"allOrNone": false, "records": []any{
			map[string]any{"attributes": map[string]any{"type": "Contact"}, "Intercom_Id__c": "u1", "LastName": "U1"},
			map[string]any{"attributes": map[string]any{"type": "Contact"}, "Intercom_Id__c": "u1", "Title": "again"},
		}})
		up := r.JSON(t).([]any)
		if up[0].(map[string]any)["created"] != true || up[1].(map[string]any)["created"] != false || up[0].(map[string]any)["id"] != up[1].(map[string]any)["id"] {
			t.Fatalf("upsert: %s", r.Body)
		}
		r = b.do("DELETE", v+"/composite/sobjects?ids="+a+","+c+"&allOrNone=true", nil)
		del := r.JSON(t).([]any)
		if len(del) != 2 || del[0].(map[string]any)["success"] != true || del[1].(map[string]any)["success"] != true {
			t.Fatalf("delete: %s", r.Body)
		}
		r = b.do("DELETE", v+"/composite/sobjects?ids="+a, nil)
		if e := r.JSON(t).([]any)[0].(map[string]any)["errors"].([]any)[0].(map[string]any); e["statusCode"] != "ENTITY_IS_DELETED" {
			t.Fatalf("delete again: %s", r.Body)
		}
	})
}

func TestComposite(t *testing.T) {
	t.Parallel()
	t.Run("references", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := b.do("POST", v+"/composite", map[string]any{"allOrNone": true, "compositeRequest": []any{
			map[string]any{"method": "POST", "url": v + "/sobjects/Account", "referenceId": "refAccount", "body": map[string]any{"Name": "A"}},
			map[string]any{"method": "POST", "url": v + "/sobjects/Contact", "referenceId": "refContact", "body": map[string]any{"LastName": "C", "AccountId": "@{refAccount.id}"}},
			map[string]any{"method": "GET", "url": v + "/sobjects/Contact/@{refContact.id}?fields=AccountId", "referenceId": "getContact"},
			map[string]any{"method": "GET", "url": v + "/query?q=SELECT+Id+FROM+Account", "referenceId": "q"},
			map[string]any{"method": "PATCH", "url": v + "/sobjects/Account/@{q.records[0].Id}", "referenceId": "upd", "body": map[string]any{"Website": "https://a.example"}},
		}})
		if r.Status != 200 {
			t.Fatalf("status %d %s", r.Status, r.Body)
		}
		res := r.Obj(t)["compositeResponse"].([]any)
		acct := res[0].(map[string]any)
		if acct["httpStatusCode"] != 201.0 || acct["referenceId"] != "refAccount" || acct["httpHeaders"].(map[string]any)["Location"] == nil {
			t.Fatalf("account: %v", acct)
		}
		id := acct["body"].(map[string]any)["id"]
		if got := res[2].(map[string]any)["body"].(map[string]any)["AccountId"]; got != id {
			t.Errorf("contact AccountId = %v, want %v", got, id)
		}
		if upd := res[4].(map[string]any); upd["httpStatusCode"] != 204.0 || upd["body"] != nil {
			t.Errorf("update: %v", upd)
		}
		if calls := b.sf.APICalls(); calls != 1 {
			t.Errorf("composite counted %d calls, want 1", calls)
		}
	})
	t.Run("rollback", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := b.do("POST", v+"/composite", map[string]any{"allOrNone": true, "compositeRequest": []any{
			map[string]any{"method": "POST", "url": v + "/sobjects/Account", "referenceId": "a", "body": map[string]any{"Name": "A"}},
			map[string]any{"method": "POST", "url": v + "/sobjects/Contact", "referenceId": "c", "body": map[string]any{"FirstName": "NoLast"}},
			map[string]any{"method": "POST", "url": v + "/sobjects/Account", "referenceId": "b", "body": map[string]any{"Name": "B"}},
		}})
		res := r.Obj(t)["compositeResponse"].([]any)
		codes := []string{"PROCESSING_HALTED", "REQUIRED_FIELD_MISSING", "PROCESSING_HALTED"}
		for i, x := range res {
			m := x.(map[string]any)
			if m["httpStatusCode"] != 400.0 || m["body"].([]any)[0].(map[string]any)["errorCode"] != codes[i] {
				t.Errorf("sub %d: %v", i, m)
			}
		}
		if n := b.query("SELECT COUNT() FROM Account").Obj(t)["totalSize"]; n != 0.0 {
			t.Errorf("accounts after rollback = %v", n)
		}
	})
	t.Run("without allOrNone", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := b.do("POST", v+"/composite", map[string]any{"compositeRequest": []any{
			map[string]any{"method": "POST", "url": v + "/sobjects/Contact", "referenceId": "c", "body": map[string]any{"FirstName": "NoLast"}},
			map[string]any{"method": "POST", "url": v + "/sobjects/Account", "referenceId": "a", "body": map[string]any{"Name": "A"}},
			map[string]any{"method": "GET", "url": v + "/sobjects/Contact/@{c.id}", "referenceId": "g"},
		}})
		res := r.Obj(t)["compositeResponse"].([]any)
		if res[1].(map[string]any)["httpStatusCode"] != 201.0 || res[2].(map[string]any)["httpStatusCode"] != 400.0 {
			t.Fatalf("got %s", r.Body)
		}
	})
	t.Run("limits", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		subs := make([]any, 26)
		for i := range subs {
			subs[i] = map[string]any{"method": "GET", "url": v + "/limits", "referenceId": fmt.Sprintf("r%d", i)}
		}
		if r := b.do("POST", v+"/composite", map[string]any{"compositeRequest": subs}); r.Status != 400 {
			t.Errorf("26 subrequests: %d", r.Status)
		}
		bad := []any{map[string]any{"method": "GET", "url": v + "/limits", "referenceId": "bad-ref"}}
		if r := b.do("POST", v+"/composite", map[string]any{"compositeRequest": bad}); r.Status != 400 {
			t.Errorf("bad referenceId: %d", r.Status)
		}
	})
}

func TestLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *salesforce.Options) { o.APIDailyLimit = 3 })
	for i := 1; i <= 3; i++ {
		r := b.do("GET", v+"/limits", nil)
		if r.Status != 200 || r.Header.Get("Sforce-Limit-Info") != fmt.Sprintf("api-usage=%d/3", i) {
			t.Fatalf("call %d: %d %q", i, r.Status, r.Header.Get("Sforce-Limit-Info"))
		}
		if rem := r.Obj(t)["DailyApiRequests"].(map[string]any); rem["Max"] != 3.0 || rem["Remaining"] != float64(3-i) {
			t.Errorf("DailyApiRequests = %v", rem)
		}
	}
	for _, path := range []string{"/limits", "/query?q=SELECT+Id+FROM+Lead", "/sobjects/Lead/describe"} {
		r := b.do("GET", v+path, nil)
		if r.Status != http.StatusForbidden || r.ErrorCode(t) != "REQUEST_LIMIT_EXCEEDED" || r.Header.Get("Sforce-Limit-Info") == "" {
			t.Errorf("%s after limit: %d %s", path, r.Status, r.Body)
		}
	}
	if got := b.sf.APICalls(); got != 3 {
		t.Errorf("APICalls = %d, want 3", got)
	}
	// The control surface still works and can restore the allowance.
	if r := b.control("POST", "/__emulator/limits", map[string]any{"remaining": 2}); r.Status != 204 {
		t.Fatalf("set remaining: %d %s", r.Status, r.Body)
	}
	if r := b.do("GET", v+"/limits", nil); r.Status != 200 {
		t.Fatalf("after reset: %d", r.Status)
	}
	if u := b.control("GET", "/__emulator/usage", nil).Obj(t); u["apiCalls"] != 4.0 || u["remaining"] != 1.0 {
		t.Errorf("usage = %v", u)
	}
}

func TestCompositeBatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	acct := b.create("Account", map[string]any{"Name": "A"})
	for _, halt := range []bool{false, true} {
		r := b.do("POST", v+"/composite/batch", map[string]any{"haltOnError": halt, "batchRequests": []any{
			map[string]any{"method": "PATCH", "url": "v62.0/sobjects/Account/" + acct, "richInput": map[string]any{"Name": "B"}},
			map[string]any{"method": "POST", "url": "v62.0/sobjects/Contact", "richInput": map[string]any{"FirstName": "NoLast"}},
			map[string]any{"method": "GET", "url": "v62.0/query/?q=SELECT+Name+FROM+Account"},
		}})
		m := r.Obj(t)
		res := m["results"].([]any)
		want := []float64{204, 400, 200}
		if halt {
			want[2] = 412
		}
		if r.Status != 200 || m["hasErrors"] != true || len(res) != 3 {
			t.Fatalf("halt=%v: %d %s", halt, r.Status, r.Body)
		}
		for i, x := range res {
			if got := x.(map[string]any)["statusCode"]; got != want[i] {
				t.Errorf("halt=%v result %d: statusCode %v, want %v", halt, i, got, want[i])
			}
		}
	}
	if got := b.get("Account", acct)["Name"]; got != "B" {
		t.Errorf("Name = %v", got)
	}
	// 1 create + 2 batches of 3 subrequests + 1 get.
	if calls := b.sf.APICalls(); calls != 8 {
		t.Errorf("APICalls = %d, want 8", calls)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const workers, each = 8, 15
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := 0; i < each; i++ {
				body := fmt.Sprintf(`{"LastName":"W%d-%d","Company":"C","Email":"w%d-%d@example.com"}`, w, i, w, i)
				req, _ := http.NewRequest("POST", b.srv.URL+v+"/sobjects/Lead/", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+b.token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				res.Body.Close()
				if res.StatusCode != 201 {
					errs <- fmt.Errorf("create: %d", res.StatusCode)
					return
				}
				q, _ := http.NewRequest("GET", b.srv.URL+v+"/query?q="+url.QueryEscape(fmt.Sprintf("SELECT Id FROM Lead WHERE Email = 'w%d-%d@example.com'", w, i)), nil)
				q.Header.Set("Authorization", "Bearer "+b.token)
				res, err = http.DefaultClient.Do(q)
				if err != nil {
					errs <- err
					return
				}
				res.Body.Close()
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := b.query("SELECT COUNT() FROM Lead").Obj(t)["totalSize"]; n != float64(workers*each) {
		t.Fatalf("leads = %v, want %d", n, workers*each)
	}
	if got := b.sf.APICalls(); got != workers*each*2+1 {
		t.Errorf("APICalls = %d, want %d", got, workers*each*2+1)
	}
}

// TestConditionalUpdate: sObject Rows PATCH with If-Unmodified-Since
// writes only when the record was not modified after the given time, and
// answers 412 otherwise; the header also works inside Composite.
func TestConditionalUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.do("POST", v+"/sobjects/Lead/", map[string]any{"LastName": "L", "Company": "C"}).Obj(t)["id"].(string)
	created := b.get("Lead", id)["LastModifiedDate"].(string) // 2026-05-20T20:49:32.000+0000
	b.clock.Advance(time.Minute)
	patch := func(ref, since, title string) map[string]any {
		return map[string]any{"method": "PATCH", "url": v + "/sobjects/Lead/" + id, "referenceId": ref,
			"body": map[string]any{"Title": title}, "httpHeaders": map[string]string{"If-Unmodified-Since": since}}
	}
	r := b.do("POST", v+"/composite", map[string]any{"compositeRequest": []any{
		patch("older", "Wed, 20 May 2026 20:49:31 GMT", "refused"),
		patch("same", "Wed, 20 May 2026 20:49:32 GMT", "written"),
		patch("stale", "Wed, 20 May 2026 20:50:31 GMT", "refused again"),
		patch("bad", "yesterday", "never"),
	}})
	res := r.Obj(t)["compositeResponse"].([]any)
	for i, want := range []float64{412, 204, 412, 400} {
		if got := res[i].(map[string]any)["httpStatusCode"]; got != want {
			t.Errorf("subrequest %d: status %v, want %v (%s)", i, got, want, r.Body)
		}
	}
	lead := b.get("Lead", id)
	if lead["Title"] != "written" || lead["LastModifiedDate"] == created {
		t.Fatalf("after the conditional updates: Title %v, LastModifiedDate %v", lead["Title"], lead["LastModifiedDate"])
	}
}
