package salesforce_test

import (
	"fmt"
	"strings"
	"testing"
)

// graph builds a graph of nodes for a Composite Graph request.
func graph(id string, nodes ...any) map[string]any {
	return map[string]any{"graphId": id, "compositeRequest": nodes}
}

func patchNode(ref, object, id string, body map[string]any, headers map[string]string) map[string]any {
	n := map[string]any{"method": "PATCH", "url": v + "/sobjects/" + object + "/" + id, "referenceId": ref, "body": body}
	if headers != nil {
		n["httpHeaders"] = headers
	}
	return n
}

// nodeResults returns a graph response's isSuccessful and its nodes'
// status codes and error codes ("" for none).
func nodeResults(t *testing.T, g map[string]any) (ok bool, status []float64, codes []string) {
	t.Helper()
	for _, x := range g["graphResponse"].(map[string]any)["compositeResponse"].([]any) {
		n := x.(map[string]any)
		status = append(status, n["httpStatusCode"].(float64))
		code := ""
		if errs, isErr := n["body"].([]any); isErr && len(errs) > 0 {
			code, _ = errs[0].(map[string]any)["errorCode"].(string)
		}
		codes = append(codes, code)
	}
	return g["isSuccessful"].(bool), status, codes
}

func TestCompositeGraph(t *testing.T) {
	t.Parallel()
	t.Run("graphs with references are one API call", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := b.do("POST", v+"/composite/graph", map[string]any{"graphs": []any{
			graph("g1",
				map[string]any{"method": "POST", "url": v + "/sobjects/Account/", "referenceId": "acct", "body": map[string]any{"Name": "Cloudy"}},
				map[string]any{"method": "POST", "url": v + "/sobjects/Contact/", "referenceId": "contact", "body": map[string]any{"LastName": "C", "AccountId": "@{acct.id}"}},
				map[string]any{"method": "GET", "url": v + "/sobjects/Contact/@{contact.id}?fields=AccountId", "referenceId": "get"}),
			graph("g2", map[string]any{"method": "POST", "url": v + "/sobjects/Account/", "referenceId": "acct", "body": map[string]any{"Name": "Sunny"}}),
		}})
		if r.Status != 200 {
			t.Fatalf("status %d %s", r.Status, r.Body)
		}
		graphs := r.Obj(t)["graphs"].([]any)
		if len(graphs) != 2 {
			t.Fatalf("graphs = %s", r.Body)
		}
		for i, want := range [][]float64{{201, 201, 200}, {201}} {
			g := graphs[i].(map[string]any)
			ok, status, _ := nodeResults(t, g)
			if g["graphId"] != []string{"g1", "g2"}[i] || !ok || fmt.Sprint(status) != fmt.Sprint(want) {
				t.Errorf("graph %d: %v", i, g)
			}
		}
		nodes := graphs[0].(map[string]any)["graphResponse"].(map[string]any)["compositeResponse"].([]any)
		acct := nodes[0].(map[string]any)["body"].(map[string]any)["id"]
		if got := nodes[2].(map[string]any)["body"].(map[string]any)["AccountId"]; got != acct {
			t.Errorf("Contact.AccountId = %v, want the graph's own Account %v", got, acct)
		}
		if n := b.query("SELECT COUNT() FROM Account").Obj(t)["totalSize"]; n != 2.0 {
			t.Errorf("accounts = %v, want 2", n)
		}
		if calls := b.sf.APICalls(); calls != 2 { // the request and the count query
			t.Errorf("APICalls = %d, want 2", calls)
		}
	})

	t.Run("a refused conditional update rolls back its graph only, with no change events", func(t *testing.T) {
		t.Parallel()
		p := setupPubSub(t)
		ids := make([]string, 4)
		for i := range ids {
			ids[i] = p.create("Lead", map[string]any{"LastName": fmt.Sprint("L", i), "Company": "C", "Title": "before"})
		}
		events := p.sf.ChangeEventStatus().Events
		old := map[string]string{"If-Unmodified-Since": "Wed, 20 May 2026 20:49:31 GMT"} // before the creates
		now := map[string]string{"If-Unmodified-Since": "Wed, 20 May 2026 20:49:32 GMT"}
		r := p.do("POST", v+"/composite/graph", map[string]any{"graphs": []any{
			graph("refused",
				patchNode("a", "Lead", ids[0], map[string]any{"Title": "after"}, now),
				patchNode("b", "Lead", ids[1], map[string]any{"Title": "after"}, old),
				patchNode("c", "Lead", ids[2], map[string]any{"Title": "after"}, now)),
			graph("written", patchNode("d", "Lead", ids[3], map[string]any{"Title": "after"}, now)),
		}})
		graphs := r.Obj(t)["graphs"].([]any)
		ok, status, codes := nodeResults(t, graphs[0].(map[string]any))
		if ok || fmt.Sprint(status) != "[400 412 400]" || codes[0] != "PROCESSING_HALTED" || codes[2] != "PROCESSING_HALTED" {
			t.Errorf("refused graph: ok %v, status %v, codes %v", ok, status, codes)
		}
		if ok, status, _ := nodeResults(t, graphs[1].(map[string]any)); !ok || fmt.Sprint(status) != "[204]" {
			t.Errorf("independent graph: ok %v, status %v", ok, status)
		}
		for i, want := range []string{"before", "before", "before", "after"} {
			if got := p.get("Lead", ids[i])["Title"]; got != want {
				t.Errorf("Lead %d Title = %v, want %s", i, got, want)
			}
		}
		if got := p.sf.ChangeEventStatus().Events - events; got != 1 {
			t.Errorf("%d change events, want 1 (the written graph's)", got)
		}
	})

	t.Run("after 14 failed graphs the rest are halted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var graphs []any
		for i := range 20 {
			// No LastName: every create fails.
			graphs = append(graphs, graph(fmt.Sprint("g", i), map[string]any{"method": "POST", "url": v + "/sobjects/Contact/", "referenceId": "c", "body": map[string]any{"FirstName": "F"}}))
		}
		graphs = append(graphs, graph("late", map[string]any{"method": "POST", "url": v + "/sobjects/Account/", "referenceId": "a", "body": map[string]any{"Name": "A"}}))
		out := b.do("POST", v+"/composite/graph", map[string]any{"graphs": graphs}).Obj(t)["graphs"].([]any)
		for i, g := range out {
			ok, _, codes := nodeResults(t, g.(map[string]any))
			want := "REQUIRED_FIELD_MISSING"
			if i > 14 {
				want = "PROCESSING_HALTED"
			}
			if ok || codes[0] != want {
				t.Errorf("graph %d: ok %v, code %s, want %s", i, ok, codes[0], want)
			}
		}
		if n := b.query("SELECT COUNT() FROM Account").Obj(t)["totalSize"]; n != 0.0 {
			t.Errorf("accounts = %v: a halted graph ran", n)
		}
	})

	t.Run("limits", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		get := func(ref string) map[string]any {
			return map[string]any{"method": "GET", "url": v + "/sobjects/Account/001000000000000AAA", "referenceId": ref}
		}
		nodes := func(n int) []any {
			out := make([]any, n)
			for i := range out {
				out[i] = get(fmt.Sprint("n", i))
			}
			return out
		}
		many := func(graphs, each int) []any {
			out := make([]any, graphs)
			for i := range out {
				out[i] = graph(fmt.Sprint("g", i), nodes(each)...)
			}
			return out
		}
		chain := []any{map[string]any{"method": "POST", "url": v + "/sobjects/Account/", "referenceId": "n0", "body": map[string]any{"Name": "A"}}}
		for i := 1; i < 16; i++ {
			chain = append(chain, map[string]any{"method": "PATCH", "url": v + fmt.Sprintf("/sobjects/Account/@{n%d.id}", i-1), "referenceId": fmt.Sprint("n", i), "body": map[string]any{"Name": "A"}})
		}
		kinds := []any{}
		for i := range 16 {
			kinds = append(kinds, map[string]any{"method": "GET", "url": fmt.Sprintf("/services/data/v%d.0/sobjects/Account/001000000000000AAA", 50+i), "referenceId": fmt.Sprint("n", i)})
		}
		tests := []struct {
			name   string
			graphs []any
			want   string // a word of the error message; "" for accepted
		}{
			{"75 graphs", many(75, 1), ""},
			{"76 graphs", many(76, 1), "graphs"},
			{"500 nodes in one graph", many(1, 500), ""},
			{"501 nodes in one graph", many(1, 501), "nodes"},
			{"500 nodes in all", many(50, 10), ""},
			{"501 nodes in all", many(3, 167), "request"},
			{"depth 15", []any{graph("g", chain[:15]...)}, ""},
			{"depth 16", []any{graph("g", chain...)}, "depth"},
			{"16 different nodes", []any{graph("g", kinds...)}, "different"},
			{"no graphs", []any{}, "at least"},
			{"a duplicate graphId", []any{graph("g", get("a")), graph("g", get("a"))}, "Duplicate"},
			{"a graphId with a period", []any{graph("g.1", get("a"))}, "graphId"},
			{"a query node", []any{graph("g", map[string]any{"method": "GET", "url": v + "/query?q=SELECT+Id+FROM+Account", "referenceId": "q"})}, "not supported"},
			{"a POST to a record", []any{graph("g", map[string]any{"method": "POST", "url": v + "/sobjects/Account/001000000000000AAA", "referenceId": "p"})}, "not supported"},
		}
		for _, tt := range tests {
			r := b.do("POST", v+"/composite/graph", map[string]any{"graphs": tt.graphs})
			if tt.want == "" {
				if r.Status != 200 {
					t.Errorf("%s: %d %s", tt.name, r.Status, r.Body)
				}
				continue
			}
			if r.Status != 400 || r.ErrorCode(t) != "INVALID_API_INPUT" || !strings.Contains(string(r.Body), tt.want) {
				t.Errorf("%s: %d %s, want 400 INVALID_API_INPUT about %q", tt.name, r.Status, r.Body, tt.want)
			}
		}
	})

	t.Run("from API 50.0 on", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		body := map[string]any{"graphs": []any{graph("g", map[string]any{"method": "POST", "url": "/services/data/v49.0/sobjects/Account/", "referenceId": "a", "body": map[string]any{"Name": "A"}})}}
		if r := b.do("POST", "/services/data/v49.0/composite/graph", body); r.Status != 404 {
			t.Errorf("v49.0: %d %s", r.Status, r.Body)
		}
	})
}
