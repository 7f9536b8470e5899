package sync

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTaskTargets(t *testing.T) {
	t.Parallel()
	ann := ICPerson{ID: "ic1", Role: "lead", Email: "ann@example.com"}
	lead := func(id string) SFPerson { return SFPerson{Object: "Lead", ID: id, Key: "ann@example.com"} }
	contact := func(id string) SFPerson { return SFPerson{Object: "Contact", ID: id, Key: "ann@example.com"} }
	converted := SFPerson{Object: "Lead", ID: "00Qc", Key: "ann@example.com", IsConverted: true}
	tests := []struct {
		name string
		cand []SFPerson
		want []string
	}{
		{"one Lead gets the Task", []SFPerson{lead("00Q1")}, []string{"00Q1"}},
		{"several Leads and no Contact: each Lead gets one", []SFPerson{lead("00Q1"), lead("00Q2"), lead("00Q3")}, []string{"00Q1", "00Q2", "00Q3"}},
		{"a Contact matches: only the Contact", []SFPerson{lead("00Q1"), contact("0031"), lead("00Q2")}, []string{"0031"}},
		{"several Contacts: nobody (multiple matches)", []SFPerson{contact("0031"), contact("0032")}, nil},
		{"nothing matches: nobody", nil, nil},
		{"converted Leads never get one", []SFPerson{converted}, nil},
		{"a converted Lead beside a live one", []SFPerson{converted, lead("00Q1")}, []string{"00Q1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, reason := TaskTargets(ann, KeyEmail, tt.cand)
			var ids []string
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Fatalf("targets = %v, want %v (%s)", ids, tt.want, reason)
			}
			if reason == "" {
				t.Fatal("no reason given")
			}
		})
	}
}

func TestRelatedOpportunity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		roles []OpportunityRole
		want  string
	}{
		{"no role: not related", nil, ""},
		{"one open Opportunity: related", []OpportunityRole{{"006A", false}}, "006A"},
		{"one open and one closed: the open one", []OpportunityRole{{"006A", false}, {"006B", true}}, "006A"},
		{"two open Opportunities: not related", []OpportunityRole{{"006A", false}, {"006B", false}}, ""},
		{"only closed Opportunities: not related", []OpportunityRole{{"006A", true}}, ""},
		{"two roles on the same open Opportunity count once", []OpportunityRole{{"006A", false}, {"006A", false}}, "006A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, reason := RelatedOpportunity(tt.roles); got != tt.want || reason == "" {
				t.Fatalf("RelatedOpportunity = %q (%s), want %q", got, reason, tt.want)
			}
		})
	}
}

func TestTaskOwner(t *testing.T) {
	t.Parallel()
	if got := TaskOwner("005A", "005X"); got != "005A" {
		t.Fatalf("assignee's User: got %s", got)
	}
	if got := TaskOwner("", "005X"); got != "005X" {
		t.Fatalf("no assignee User: the connecting teammate's, got %s", got)
	}
}

func TestResolveOwner(t *testing.T) {
	t.Parallel()
	tm := map[string]string{"005acct": "a1", "005cont": "a2", "005lead": "a3"}
	tests := []struct {
		name string
		in   OwnerInput
		want OwnerDecision
	}{
		{"the Account owner wins", OwnerInput{AccountOwner: "005acct", ContactOwner: "005cont"}, OwnerDecision{Teammate: "a1"}},
		{"Account owner without a teammate clears, even with a Contact owner teammate",
			OwnerInput{AccountOwner: "005none", ContactOwner: "005cont"}, OwnerDecision{Clear: true}},
		{"no Account owner: the Contact owner", OwnerInput{ContactOwner: "005cont"}, OwnerDecision{Teammate: "a2"}},
		{"no Account or Contact owner: the Lead owner", OwnerInput{LeadOwner: "005lead"}, OwnerDecision{Teammate: "a3"}},
		{"Contact owner without a teammate: the Lead owner", OwnerInput{ContactOwner: "005none", LeadOwner: "005lead"}, OwnerDecision{Teammate: "a3"}},
		{"no owner with a teammate: the teammate who connected", OwnerInput{LeadOwner: "005none", Fallback: "a9"}, OwnerDecision{Teammate: "a9"}},
		{"no owner at all: the teammate who connected", OwnerInput{Fallback: "a9"}, OwnerDecision{Teammate: "a9"}},
		{"nothing and no connecting teammate: cleared", OwnerInput{}, OwnerDecision{Clear: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.in.Teammates = tm
			got := ResolveOwner(tt.in)
			if got.Teammate != tt.want.Teammate || got.Clear != tt.want.Clear || got.Rule == "" {
				t.Fatalf("ResolveOwner = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestUsersByEmail(t *testing.T) {
	t.Parallel()
	users := map[string]string{"005b": "Maria.Garcia@example.com ", "005a": "maria.garcia@example.com", "005c": "", "005d": "tom@example.com"}
	got := UsersByEmail(users)
	if want := map[string]string{"maria.garcia@example.com": "005a", "tom@example.com": "005d"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("UsersByEmail = %v, want %v (the lowest id wins a shared email)", got, want)
	}
}

func TestTeammatesByEmail(t *testing.T) {
	t.Parallel()
	users := map[string]string{"005a": "Maria.Garcia@example.com ", "005b": "nobody@example.com", "005c": ""}
	admins := map[string]string{"11": "maria.garcia@example.com", "12": "", "13": "james@example.com"}
	got := TeammatesByEmail(users, admins)
	if want := map[string]string{"005a": "11"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("TeammatesByEmail = %v, want %v", got, want)
	}
}

func TestHTMLText(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"paragraphs become lines", "<p>Hello</p><p>World</p>", "Hello\nWorld"},
		{"line breaks", "one<br>two<br/>three", "one\ntwo\nthree"},
		{"entities decoded", "<p>Fish &amp; chips &lt;3 &quot;yes&quot;</p>", `Fish & chips <3 "yes"`},
		{"emojis kept", "<p>Thanks 🎉😀 👍🏽</p>", "Thanks 🎉😀 👍🏽"},
		{"images as their URLs", `<p>See <img src="https://downloads.intercomcdn.com/i/o/1/shot.png"> here</p>`, "See\nhttps://downloads.intercomcdn.com/i/o/1/shot.png\nhere"},
		{"links keep their URL", `<p>Read <a href="https://example.com/doc">the doc</a>.</p>`, "Read the doc (https://example.com/doc)."},
		{"a bare link is not doubled", `<a href="https://example.com">https://example.com</a>`, "https://example.com"},
		{"script links dropped", `<a href="javascript:alert(1)">x</a>`, "x"},
		{"lists", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
		{"plain text untouched", "just text 😀", "just text 😀"},
		{"whitespace collapsed", "<p>  a   b  </p>\n\n\n<p>c</p>", "a b\nc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := HTMLText(tt.in); got != tt.want {
				t.Fatalf("HTMLText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTranscriptRender(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 10, 3, 0, 0, time.UTC)
	url := "https://app.intercom.com/a/apps/abc/conversations/7"
	tr := Transcript{URL: url, Parts: []TranscriptPart{
		{Kind: PartMessage, Author: "Olivia Smith", At: at, Body: "<p>Hi, the export is broken 😞</p>", Attachments: []string{"https://cdn.example/shot.png"}},
		{Kind: PartNote, Author: "Maria Garcia", At: at.Add(time.Minute), Body: "<p>Known bug</p>"},
		{Kind: PartAssignment, Author: "Maria Garcia", At: at.Add(2 * time.Minute), AssignedTo: "James Chen"},
		{Kind: PartMessage, Author: "James Chen", At: at.Add(3 * time.Minute), Body: "<p>Fixed!</p>"},
		{Kind: PartClose, Author: "James Chen", At: at.Add(4 * time.Minute)},
		{Kind: PartOpen, Author: "Olivia Smith", At: at.Add(5 * time.Minute)},
	}}
	got := tr.Render(TaskDescriptionLimit)
	for _, want := range []string{
		"Intercom conversation: " + url,
		"[2026-12-04 10:03 UTC] Olivia Smith:\nHi, the export is broken 😞\nhttps://cdn.example/shot.png\n",
		"[2026-12-04 10:04 UTC] Maria Garcia (internal note):\nKnown bug\n",
		"[2026-12-04 10:05 UTC] Maria Garcia assigned the conversation to James Chen\n",
		"[2026-12-04 10:06 UTC] James Chen:\nFixed!\n",
		"[2026-12-04 10:07 UTC] James Chen closed the conversation\n",
		"[2026-12-04 10:08 UTC] Olivia Smith reopened the conversation\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Earlier parts") {
		t.Error("a short transcript says parts are missing")
	}
}

func TestTranscriptKeepsNewestWithinLimit(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	url := "https://app.intercom.com/a/apps/abc/conversations/7"
	var parts []TranscriptPart
	// About 100 KB of messages, each with an image and emojis.
	for i := range 400 {
		parts = append(parts, TranscriptPart{Kind: PartMessage, Author: "Olivia", At: at.Add(time.Duration(i) * time.Minute),
			Body: "<p>message " + strings.Repeat("😀 words ", 20) + "</p><img src=\"https://cdn.example/" + string(rune('a'+i%26)) + ".png\">"})
	}
	parts[len(parts)-1].Body = "<p>the very last message 🎉</p>"
	got := Transcript{URL: url, Parts: parts}.Render(TaskDescriptionLimit)
	if n := textLen(got); n > TaskDescriptionLimit {
		t.Fatalf("rendered %d characters, limit %d", n, TaskDescriptionLimit)
	}
	if n := textLen(got); n < TaskDescriptionLimit-1000 {
		t.Fatalf("rendered only %d characters: the room is not used", n)
	}
	if !strings.Contains(got, "Earlier parts of this conversation are not shown here; read them in Intercom: "+url) {
		t.Fatalf("no note about earlier parts:\n%s", got[:300])
	}
	if !strings.HasSuffix(got, "the very last message 🎉\n") {
		t.Fatalf("the newest part is not kept: …%s", got[len(got)-100:])
	}
	if !utf8.ValidString(got) {
		t.Fatal("a character was split")
	}

	// One huge newest part: its end is kept, within the limit.
	huge := Transcript{URL: url, Parts: []TranscriptPart{{Kind: PartMessage, Author: "O", At: at, Body: strings.Repeat("😀", 40000) + "END"}}}
	h := huge.Render(TaskDescriptionLimit)
	if textLen(h) > TaskDescriptionLimit || !strings.HasSuffix(h, "END\n") || !utf8.ValidString(h) {
		t.Fatalf("huge part: %d characters, suffix %q", textLen(h), h[len(h)-10:])
	}
}

func TestTaskSubject(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"first line of the first message", "<p>Export broken</p><p>details…</p>", "Intercom conversation: Export broken"},
		{"no text", "<p></p>", "Intercom conversation"},
		{"emoji kept", "Hi 👋", "Intercom conversation: Hi 👋"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := TaskSubject(tt.in); got != tt.want {
				t.Fatalf("TaskSubject = %q, want %q", got, tt.want)
			}
		})
	}
	long := TaskSubject(strings.Repeat("x", 600))
	if textLen(long) > 255 || !strings.HasSuffix(long, "…") {
		t.Fatalf("long subject: %d characters", textLen(long))
	}
}

func TestConversationURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, base, want string }{
		{"US region", "https://api.intercom.io", "https://app.intercom.com/a/apps/ab1/conversations/42"},
		{"EU region", "https://api.eu.intercom.io", "https://app.eu.intercom.com/a/apps/ab1/conversations/42"},
		{"AU region", "https://api.au.intercom.io/", "https://app.au.intercom.com/a/apps/ab1/conversations/42"},
		{"another base serves the link itself", "http://127.0.0.1:8182", "http://127.0.0.1:8182/a/apps/ab1/conversations/42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ConversationURL(tt.base, "ab1", "42"); got != tt.want {
				t.Fatalf("ConversationURL = %q, want %q", got, tt.want)
			}
		})
	}
}
