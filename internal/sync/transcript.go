package sync

import (
	"net/url"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// TaskDescriptionLimit is how many characters a Task's Description (a Long
// Text Area of 32,000) holds.
const TaskDescriptionLimit = 32000

// PartKind is what one transcript entry is.
type PartKind string

// The kinds of conversation parts a transcript shows (F6.1): messages and
// notes in full, the rest as short lines.
const (
	PartMessage    PartKind = "message"
	PartNote       PartKind = "note"
	PartAssignment PartKind = "assignment"
	PartClose      PartKind = "close"
	PartOpen       PartKind = "open"
	PartSnoozed    PartKind = "snoozed"
)

// PartKindOf maps an Intercom part_type to a transcript kind; "" for parts
// a transcript leaves out (attribute updates, tags, …) unless they carry a
// body.
func PartKindOf(partType string) PartKind {
	switch partType {
	case "comment", "":
		return PartMessage
	case "note", "note_and_reopen":
		return PartNote
	case "assignment", "default_assignment", "away_mode_assignment", "assign_and_reopen", "assign_and_unsnooze":
		return PartAssignment
	case "close":
		return PartClose
	case "open", "unsnoozed", "timer_unsnooze":
		return PartOpen
	case "snoozed":
		return PartSnoozed
	}
	return ""
}

// TranscriptPart is one entry of a conversation: its first message or one
// of its parts.
type TranscriptPart struct {
	// ID is the Intercom part's id (the first message's source id), to
	// log one message or note alone (F6.2).
	ID   string
	Kind PartKind
	// Author is who wrote or did it: a name, else an email, else the
	// author's type.
	Author string
	// At is when it happened.
	At time.Time
	// Body is Intercom's HTML body.
	Body string
	// Attachments are the URLs of attached files.
	Attachments []string
	// AssignedTo names the assignee of an assignment ("" for nobody).
	AssignedTo string
}

// Transcript is a conversation as a Task's Description shows it.
type Transcript struct {
	// URL is the conversation in Intercom's inbox.
	URL string
	// Parts are in the order they happened.
	Parts []TranscriptPart
}

// Render renders the transcript as plain text of at most limit characters
// (counted as Salesforce counts them, in UTF-16 code units): a link to the
// conversation, then every part with its author and time. A transcript too
// long keeps its newest parts and says that the earlier ones are in
// Intercom, with the link (F6.1).
func (t Transcript) Render(limit int) string {
	head := "Intercom conversation: " + t.URL + "\n"
	entries := make([]string, len(t.Parts))
	for i, p := range t.Parts {
		entries[i] = renderPart(p)
	}
	full := head + strings.Join(entries, "")
	if textLen(full) <= limit {
		return full
	}
	note := head + "Earlier parts of this conversation are not shown here; read them in Intercom: " + t.URL + "\n…\n"
	room := limit - textLen(note)
	// Keep whole parts from the newest back while they fit.
	var kept []string
	for i := len(entries) - 1; i >= 0; i-- {
		n := textLen(entries[i])
		if n > room {
			if len(kept) == 0 && room > 0 {
				// The newest part alone is too long: keep its end.
				kept = append(kept, tailChars(entries[i], room))
			}
			break
		}
		room -= n
		kept = append(kept, entries[i])
	}
	var b strings.Builder
	b.WriteString(note)
	for i := len(kept) - 1; i >= 0; i-- {
		b.WriteString(kept[i])
	}
	return b.String()
}

// renderPart is one entry: a header line with time and author, then the
// text of messages and notes.
func renderPart(p TranscriptPart) string {
	stamp := "[" + p.At.UTC().Format("2006-01-02 15:04 UTC") + "] "
	who := p.Author
	if who == "" {
		who = "Someone"
	}
	var b strings.Builder
	b.WriteString("\n")
	switch p.Kind {
	case PartAssignment:
		to := p.AssignedTo
		if to == "" {
			to = "nobody"
		}
		b.WriteString(stamp + who + " assigned the conversation to " + to + "\n")
	case PartClose:
		b.WriteString(stamp + who + " closed the conversation\n")
	case PartOpen:
		b.WriteString(stamp + who + " reopened the conversation\n")
	case PartSnoozed:
		b.WriteString(stamp + who + " snoozed the conversation\n")
	case PartNote:
		b.WriteString(stamp + who + " (internal note):\n")
	default:
		b.WriteString(stamp + who + ":\n")
	}
	text := HTMLText(p.Body)
	if text != "" {
		b.WriteString(text + "\n")
	}
	for _, u := range p.Attachments {
		b.WriteString(u + "\n")
	}
	return b.String()
}

// HTMLText turns an Intercom HTML body into readable text: paragraphs and
// line breaks as new lines, list items as "- ", links as "text (URL)",
// images as their URLs; entities decoded and emojis kept as they are.
func HTMLText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.TrimSpace(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	var href []string // open <a> hrefs
	var linkText []int
	newline := func() {
		str := b.String()
		if str != "" && !strings.HasSuffix(str, "\n") {
			b.WriteString("\n")
		}
	}
	for {
		switch z.Next() {
		case html.ErrorToken:
			return tidy(b.String())
		case html.TextToken:
			// HTML collapses white space; only tags break lines.
			space := false
			for _, r := range string(z.Text()) {
				if isHTMLSpace(r) {
					space = true
					continue
				}
				if space {
					b.WriteByte(' ')
					space = false
				}
				b.WriteRune(r)
			}
			if space {
				b.WriteByte(' ')
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.DataAtom {
			case atom.Br:
				b.WriteString("\n")
			case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Blockquote, atom.Ul, atom.Ol, atom.Tr:
				newline()
			case atom.Li:
				newline()
				b.WriteString("- ")
			case atom.Img:
				if src := attr(tok, "src"); src != "" {
					newline()
					b.WriteString(src + "\n")
				}
			case atom.A:
				href = append(href, attr(tok, "href"))
				linkText = append(linkText, b.Len())
			}
		case html.EndTagToken:
			tok := z.Token()
			switch tok.DataAtom {
			case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Pre, atom.Blockquote, atom.Li, atom.Ul, atom.Ol, atom.Tr:
				newline()
			case atom.A:
				if n := len(href); n > 0 {
					h, start := href[n-1], linkText[n-1]
					href, linkText = href[:n-1], linkText[:n-1]
					text := strings.TrimSpace(b.String()[start:])
					if h != "" && h != text && safeLink(h) {
						b.WriteString(" (" + h + ")")
					}
				}
			}
		}
	}
}

func isHTMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' }

// safeLink keeps web and mail links; script links are dropped.
func safeLink(h string) bool {
	u, err := url.Parse(h)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "mailto")
}

func attr(t html.Token, name string) string {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// tidy trims each line and drops empty ones.
func tidy(s string) string {
	var out []string
	for l := range strings.SplitSeq(strings.ReplaceAll(s, "\u00a0", " "), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// textLen counts characters as Salesforce does, in UTF-16 code units (an
// emoji outside the Basic Multilingual Plane counts two).
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// tailChars returns the end of s holding at most n UTF-16 code units,
// never splitting a character.
func tailChars(s string, n int) string {
	i := len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		w := utf16.RuneLen(r)
		if w > n {
			break
		}
		n -= w
		i -= size
	}
	return s[i:]
}

// TaskSubject is the Subject of a conversation's Task: "Intercom
// conversation: " and the first line of its first message, cut to the
// field's 255 characters.
func TaskSubject(firstMessage string) string {
	line := ""
	for l := range strings.SplitSeq(HTMLText(firstMessage), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			line = l
			break
		}
	}
	s := "Intercom conversation"
	if line != "" {
		s += ": " + line
	}
	if textLen(s) > 255 {
		s = headChars(s, 254) + "…"
	}
	return s
}

// headChars returns the start of s holding at most n UTF-16 code units.
func headChars(s string, n int) string {
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w > n {
			return s[:i]
		}
		n -= w
	}
	return s
}

// ConversationURL is the link to a conversation in Intercom's inbox, on the
// app host of the API's region (api.eu.intercom.io → app.eu.intercom.com);
// another API base (a proxy, a test workspace) serves the link itself.
func ConversationURL(apiBase, appID, conversationID string) string {
	base := "https://app.intercom.com"
	if u, err := url.Parse(apiBase); err == nil && u.Host != "" {
		host := u.Hostname()
		switch {
		case host == "api.intercom.io":
		case strings.HasPrefix(host, "api.") && strings.HasSuffix(host, ".intercom.io"):
			base = "https://app." + strings.TrimSuffix(strings.TrimPrefix(host, "api."), ".intercom.io") + ".intercom.com"
		default:
			base = u.Scheme + "://" + u.Host
		}
	}
	return base + "/a/apps/" + url.PathEscape(appID) + "/conversations/" + url.PathEscape(conversationID)
}
