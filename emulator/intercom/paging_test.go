package intercom_test

import (
	"strconv"
	"testing"
)

// TestNumberedPagesBeyondTheEnd: a ?page= far past the end (even one whose
// offset would overflow) is an empty page, and a bad one is parameter_invalid.
func TestNumberedPagesBeyondTheEnd(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.must(200, "POST", "/contacts", map[string]any{"email": "pages@example.com"})
	co := f.must(200, "POST", "/companies", map[string]any{"company_id": "pages-1", "name": "Pages"})
	f.must(200, "POST", "/contacts/"+str(c["id"])+"/companies", map[string]any{"id": co["id"]})

	paths := map[string]string{
		"companies":         "/companies",
		"companies/list":    "/companies/list",
		"contact companies": "/contacts/" + str(c["id"]) + "/companies",
	}
	for name, path := range paths {
		method := "GET"
		if name == "companies/list" {
			method = "POST"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, page := range []string{"2", "1000000", strconv.Itoa(1<<62 + 1), strconv.FormatInt(1<<63-1, 10)} {
				m := f.must(200, method, path+"?per_page=150&page="+page, nil)
				if data, _ := m["data"].([]any); len(data) != 0 || m["total_count"] != float64(1) {
					t.Errorf("page %s: %v", page, m)
				}
				if p, _ := m["pages"].(map[string]any); p["next"] != nil {
					t.Errorf("page %s announces a next page: %v", page, p)
				}
			}
			for _, page := range []string{"0", "-1", "x", "99999999999999999999"} {
				code, m := f.call(method, path+"?page="+page, nil)
				if code != 400 || errorCode(t, m) != "parameter_invalid" {
					t.Errorf("page %s: %d %v", page, code, m)
				}
			}
		})
	}
}
