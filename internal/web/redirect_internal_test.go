package web

import "testing"

// TestLocalPath: redirect_to accepts only a clean absolute path; nothing a
// browser could read as another host gets through.
func TestLocalPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"/ui/connections", true},
		{"/ui/connections?tab=errors", true},
		{"/ui/connections#top", true},
		{"/", true},
		{"/%2F%09%2Fevil.example", false}, // still encoded: a proxy may decode the leading %2F
		{"/\t/evil.example", false},       // %2F%09%2Fevil.example once decoded: browsers drop the tab
		{"//x", false},
		{"/\\x", false},
		{"\\\\x", false},
		{"/\\/evil.example", false},
		{"/\n/evil.example", false},
		{"/\r\n/evil.example", false},
		{"/ /evil.example", false},
		{"/\x00/evil.example", false},
		{"/\x7f/evil.example", false},
		{"/\u00a0/evil.example", false},
		{"/\u2028/evil.example", false},
		{"/%5Cevil.example", false},
		{"https://evil.example/", false},
		{"http:/evil.example", false},
		{"javascript:alert(1)", false},
		{"evil.example", false},
		{"", false},
		{"/./evil", false},
		{"/ui/../../evil", false},
		{"/@evil.example", true}, // a path segment, not userinfo: stays on this host
	} {
		if got := localPath(tc.path); got != tc.ok {
			t.Errorf("localPath(%q) = %v, want %v", tc.path, got, tc.ok)
		}
	}
}
