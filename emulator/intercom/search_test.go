package intercom_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ferrysync/ferry/emulator/intercom"
)

// searchFixture loads six contacts with known values through the Go API.
func searchFixture(t *testing.T) *fixture {
	t.Helper()
	f := setup(t)
	for _, a := range [][2]string{{"sf_id", "string"}, {"seats", "integer"}, {"vip", "boolean"}} {
		if err := f.srv.CustomAttribute("contact", a[0], a[1]); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.srv.BulkLoadContacts([]intercom.ContactSeed{
		{Email: "ann@acme.example", Name: "Ann", CustomAttributes: map[string]any{"sf_id": "003A", "seats": 5, "vip": true}, Location: intercom.Location{Country: "France"}},
		{Email: "bob@acme.example", Name: "Bob", CustomAttributes: map[string]any{"sf_id": "003B", "seats": 50}, Location: intercom.Location{Country: "Germany"}},
		{Email: "cat@globex.example", Name: "Cat", CustomAttributes: map[string]any{"seats": 500}, OwnerID: 991267500},
		{Role: "lead", Email: "dan@gmail.example", Name: "Dan"},
		{Role: "lead", Name: "Eve"},
		{Email: "FAY@Initech.example", Name: "Fay", ExternalID: "42", CustomAttributes: map[string]any{"vip": false}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func names(t *testing.T, m map[string]any) []string {
	t.Helper()
	var out []string
	for _, d := range m["data"].([]any) {
		out = append(out, str(d.(map[string]any)["name"]))
	}
	slices.Sort(out)
	return out
}

func leaf(field, op string, value any) map[string]any {
	return map[string]any{"field": field, "operator": op, "value": value}
}

func group(op string, filters ...map[string]any) map[string]any {
	return map[string]any{"operator": op, "value": filters}
}

func TestSearchContacts(t *testing.T) {
	t.Parallel()
	f := searchFixture(t)
	tests := []struct {
		name  string
		query map[string]any
		want  []string
	}{
		{"email equals, any case", leaf("email", "=", "fay@initech.EXAMPLE"), []string{"Fay"}},
		{"email not equal", leaf("email", "!=", "ann@acme.example"), []string{"Bob", "Cat", "Dan", "Eve", "Fay"}},
		{"email is null", leaf("email", "=", nil), []string{"Eve"}},
		{"email contains", leaf("email", "~", "acme"), []string{"Ann", "Bob"}},
		{"email does not contain", leaf("email", "!~", "acme"), []string{"Cat", "Dan", "Eve", "Fay"}},
		{"name starts with", leaf("name", "^", "a"), []string{"Ann"}},
		{"email ends with", leaf("email", "$", ".example"), []string{"Ann", "Bob", "Cat", "Dan", "Fay"}},
		{"email domain", leaf("email_domain", "=", "acme.example"), []string{"Ann", "Bob"}},
		{"role", leaf("role", "=", "lead"), []string{"Dan", "Eve"}},
		{"in", leaf("name", "IN", []string{"Ann", "Cat", "Zed"}), []string{"Ann", "Cat"}},
		{"not in", leaf("role", "NIN", []string{"user"}), []string{"Dan", "Eve"}},
		{"custom string", leaf("custom_attributes.sf_id", "=", "003B"), []string{"Bob"}},
		{"custom integer greater", leaf("custom_attributes.seats", ">", 10), []string{"Bob", "Cat"}},
		{"custom integer as string", leaf("custom_attributes.seats", "<=", "50"), []string{"Ann", "Bob"}},
		{"custom integer equals", leaf("custom_attributes.seats", "=", 500), []string{"Cat"}},
		{"custom boolean", leaf("custom_attributes.vip", "=", true), []string{"Ann"}},
		{"external id", leaf("external_id", "=", "42"), []string{"Fay"}},
		{"owner", leaf("owner_id", "=", 991267500), []string{"Cat"}},
		{"country", leaf("location.country", "=", "Germany"), []string{"Bob"}},
		{"created today", leaf("created_at", ">", 0), []string{"Ann", "Bob", "Cat", "Dan", "Eve", "Fay"}},
		{"and", group("AND", leaf("email", "~", "acme"), leaf("custom_attributes.seats", ">", 10)), []string{"Bob"}},
		{"or of indexed", group("OR", leaf("email", "=", "ann@acme.example"), leaf("custom_attributes.sf_id", "=", "003B")), []string{"Ann", "Bob"}},
		{"nested", group("AND", leaf("role", "=", "user"),
			group("OR", leaf("location.country", "=", "France"), leaf("name", "=", "Fay"))), []string{"Ann", "Fay"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := f.must(200, "POST", "/contacts/search", map[string]any{"query": tt.query})
			got := names(t, m)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if m["total_count"] != float64(len(tt.want)) {
				t.Errorf("total_count %v", m["total_count"])
			}
		})
	}
}

func TestSearchValidation(t *testing.T) {
	t.Parallel()
	f := searchFixture(t)
	many := make([]map[string]any, 16)
	for i := range many {
		many[i] = leaf("name", "=", fmt.Sprint(i))
	}
	tests := []struct {
		name string
		body any
	}{
		{"three levels", map[string]any{"query": group("AND", group("OR", group("AND", leaf("name", "=", "x"))))}},
		{"sixteen filters", map[string]any{"query": group("OR", many...)}},
		{"unknown field", map[string]any{"query": leaf("shoe_size", "=", 3)}},
		{"undefined custom attribute", map[string]any{"query": leaf("custom_attributes.nope", "=", 3)}},
		{"date with >=", map[string]any{"query": leaf("created_at", ">=", 0)}},
		{"contains on integer", map[string]any{"query": leaf("owner_id", "~", 1)}},
		{"unknown operator", map[string]any{"query": leaf("name", "LIKE", "x")}},
		{"IN without list", map[string]any{"query": leaf("name", "IN", "x")}},
		{"bad sort", map[string]any{"query": leaf("name", "=", "x"), "sort": map[string]string{"field": "shoe_size"}}},
		{"bad cursor", map[string]any{"query": leaf("name", "=", "x"), "pagination": map[string]any{"starting_after": "zz"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.call("POST", "/contacts/search", tt.body)
			if code != 400 || errorCode(t, m) != "parameter_invalid" {
				t.Errorf("status %d: %v", code, m)
			}
		})
	}
	// Fifteen filters in a group and two levels are allowed.
	f.must(200, "POST", "/contacts/search", map[string]any{"query": group("OR", many[:15]...)})
	f.must(200, "POST", "/contacts/search", map[string]any{"query": group("AND", group("OR", many[:15]...))})
}

func TestSearchSortAndPaginate(t *testing.T) {
	t.Parallel()
	f := searchFixture(t)
	body := map[string]any{
		"query":      leaf("email", "!=", nil),
		"sort":       map[string]string{"field": "name", "order": "descending"},
		"pagination": map[string]any{"per_page": 2},
	}
	var got []string
	for pageNo := 1; pageNo < 10; pageNo++ {
		m := f.must(200, "POST", "/contacts/search", body)
		pg := m["pages"].(map[string]any)
		if pg["page"] != float64(pageNo) || pg["total_pages"] != float64(3) || m["total_count"] != float64(5) {
			t.Fatalf("page %d: %v", pageNo, pg)
		}
		for _, d := range m["data"].([]any) {
			got = append(got, str(d.(map[string]any)["name"]))
		}
		next, ok := pg["next"].(map[string]any)
		if !ok {
			break
		}
		body["pagination"] = map[string]any{"per_page": 2, "starting_after": next["starting_after"]}
	}
	if want := []string{"Fay", "Dan", "Cat", "Bob", "Ann"}; !slices.Equal(got, want) {
		t.Errorf("sorted pages %v, want %v", got, want)
	}
}
