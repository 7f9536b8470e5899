package intercom

import (
	"testing"
)

// A message's or note's body on the inbox page: its links stay clickable
// (the note with a Case's link), everything else is text.
func TestInboxPageBodyHTML(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, body, want string }{
		{"a note's link stays a link",
			`<p>Salesforce <a href="https://example.my.salesforce.com/500Fy0000000001">Case 00001010</a> created.</p>`,
			`Salesforce <a href="https://example.my.salesforce.com/500Fy0000000001" target="_blank" rel="noopener">Case 00001010</a> created.`},
		{"paragraphs are lines", `<p>Hi!</p><p>Can someone help?</p>`, "Hi!\nCan someone help?"},
		{"images are named", `<p>Okta.</p><img src="https://example.com/a.png">`, "Okta.\n [image]"},
		{"other markup is text", `<p><script>alert(1)</script> 1 &lt; 2 &amp; <b>bold</b></p>`, "alert(1) 1 &lt; 2 &amp; bold"},
		{"a link that is not http is text", `<a href="javascript:alert(1)">click</a>`, "click"},
		{"an unclosed link is closed", `<a href="https://example.com">open`, `<a href="https://example.com" target="_blank" rel="noopener">open</a>`},
		{"a quote in a link is escaped", `<a href="https://example.com/?q=&quot;x&quot;">q</a>`, `<a href="https://example.com/?q=&#34;x&#34;" target="_blank" rel="noopener">q</a>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := string(bodyHTML(tc.body)); got != tc.want {
				t.Errorf("bodyHTML(%q)\n got %q\nwant %q", tc.body, got, tc.want)
			}
		})
	}
}
