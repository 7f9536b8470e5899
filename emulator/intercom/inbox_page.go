package intercom

import (
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The inbox page: the workspace's conversations on the left, the chosen
// one's messages in the middle and, on the right, the inbox app's canvas
// rendered from its components. Choosing a conversation opens the app
// (Initialize), as switching conversations does in Intercom; the canvas's
// buttons post back here and the emulator sends the app the signed Submit.

//go:embed inbox_page.html
var inboxPageHTML string

var inboxTemplate = template.Must(template.New("inbox").Parse(inboxPageHTML))

type inboxPage struct {
	Admins        []inboxOption
	AdminID       string
	Conversations []inboxConvItem
	Selected      *inboxConvDetail
	AppConfigured bool
	// Canvas is the app's canvas, or the error shown in its place.
	Canvas *inboxCanvasView
	Notice string
}

type inboxOption struct {
	ID, Text string
	Selected bool
}

type inboxConvItem struct {
	ID, Name, Email, Snippet, State, When, Href string
	Selected                                    bool
}

type inboxConvDetail struct {
	ID, Name, Email, Role, ContactID, State string
	Parts                                   []inboxPartView
}

type inboxPartView struct {
	Author, When    string
	Text            template.HTML
	FromAdmin, Note bool
	Event           string // "closed", "assigned": shown as a line, not a bubble
}

type inboxCanvasView struct {
	Error      string
	Components []componentView
}

// componentView is one canvas component ready for the template.
type componentView struct {
	Type, ID, Style, Align, Label, Placeholder, Value, Size, SaveState string
	Text                                                               template.HTML
	Disabled, Error, Rounded                                           bool
	Action                                                             actionView
	Items                                                              []itemView
	Options                                                            []optionView
	Image                                                              string
	Width, Height                                                      int
}

type actionView struct{ Type, URL string }

type itemView struct {
	Field, Value, ID, Title, Subtitle, Tertiary, Image string
	ImageWidth, ImageHeight                            int
	Disabled                                           bool
	Action                                             actionView
}

type optionView struct {
	ID, Text          string
	Selected, Disable bool
}

func (s *Server) handleInboxPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	convID := q.Get("conversation")
	page := inboxPage{AppConfigured: s.InboxAppConfig().InitializeURL != "", Notice: q.Get("notice")}
	if convID != "" {
		page.AdminID = s.inboxViewer(convID, q.Get("admin"))
	} else {
		page.AdminID = s.inboxViewer("", q.Get("admin"))
	}
	s.fillInboxPage(&page, convID)
	if page.Selected != nil && page.AppConfigured {
		v, ok := s.InboxShown(convID, page.AdminID)
		if !ok || q.Get("keep") == "" {
			// Switching to a conversation initializes the app, as in
			// Intercom; after a Submit the page keeps the canvas.
			var err error
			v, err = s.OpenInboxApp(r.Context(), convID, page.AdminID)
			if err != nil {
				v = InboxView{Error: err.Error()}
			}
		}
		page.Canvas = canvasView(v)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := inboxTemplate.Execute(w, page); err != nil {
		s.log.Error("intercom: inbox page", "err", err)
	}
}

// handleInboxSubmit is the canvas form: a component used, with the
// canvas's inputs as the teammate left them.
func (s *Server) handleInboxSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	convID, adminID := r.PostForm.Get("conversation"), r.PostForm.Get("admin")
	back := "/__emulator/inbox?conversation=" + url.QueryEscape(convID) + "&admin=" + url.QueryEscape(adminID) + "&keep=1"
	shown, ok := s.InboxShown(convID, adminID)
	if !ok {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	click := InboxClick{ComponentID: r.PostForm.Get("component_id"), InputValues: map[string]any{}}
	for _, c := range shown.Components() {
		id, _ := c["id"].(string)
		switch c["type"] {
		case "input", "textarea", "dropdown", "single-select":
			if vals, ok := r.PostForm["in:"+id]; ok && len(vals) > 0 {
				click.InputValues[id] = vals[0]
			}
		case "checkbox":
			vals := r.PostForm["in:"+id]
			picked := make([]any, 0, len(vals))
			for _, v := range vals {
				picked = append(picked, v)
			}
			click.InputValues[id] = picked
		}
	}
	if _, err := s.ClickComponent(r.Context(), convID, adminID, click); err != nil {
		back += "&notice=" + url.QueryEscape(err.Error())
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// fillInboxPage reads the teammates, the conversations and the chosen
// conversation's messages.
func (s *Server) fillInboxPage(p *inboxPage, convID string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, a := range s.st.admins {
		if a.ID == s.st.ownAdminID {
			continue
		}
		p.Admins = append(p.Admins, inboxOption{ID: a.ID, Text: a.Name, Selected: a.ID == p.AdminID})
	}
	name := func(id string) (string, string, string) {
		ct := s.st.contacts[id]
		if ct == nil {
			return "Unknown person", "", ""
		}
		n, e := deref(ct.name), deref(ct.email)
		if n == "" {
			n = e
		}
		if n == "" {
			n = "Unnamed " + ct.role
		}
		return n, e, ct.role
	}
	for i := len(s.st.convOrder) - 1; i >= 0; i-- {
		c := s.st.convOrder[i]
		if len(c.contactIDs) == 0 {
			continue
		}
		n, e, _ := name(c.contactIDs[0])
		last := c.source.body
		for _, pt := range c.parts {
			if pt.body != nil && pt.partType == "comment" {
				last = *pt.body
			}
		}
		p.Conversations = append(p.Conversations, inboxConvItem{ID: c.id, Name: n, Email: e, Snippet: clipText(plainText(last), 70),
			State: c.state, When: ago(s.now(), c.updatedAt), Selected: c.id == convID,
			Href: "/__emulator/inbox?conversation=" + url.QueryEscape(c.id) + "&admin=" + url.QueryEscape(p.AdminID)})
	}
	c := s.st.conversations[convID]
	if c == nil || len(c.contactIDs) == 0 {
		return
	}
	n, e, role := name(c.contactIDs[0])
	// Intercom's inbox says "User" or "Lead".
	role = strings.ToUpper(role[:min(1, len(role))]) + role[min(1, len(role)):]
	d := &inboxConvDetail{ID: c.id, Name: n, Email: e, Role: role, ContactID: c.contactIDs[0], State: c.state}
	d.Parts = append(d.Parts, inboxPartView{Author: deref(c.source.author.Name), Text: bodyHTML(c.source.body),
		FromAdmin: c.source.author.Type == "admin", When: ago(s.now(), c.createdAt)})
	for _, pt := range c.parts {
		v := inboxPartView{Author: deref(pt.author.Name), When: ago(s.now(), pt.createdAt), FromAdmin: pt.author.Type == "admin"}
		switch pt.partType {
		case "comment", "note":
			v.Text, v.Note = bodyHTML(deref(pt.body)), pt.partType == "note"
		case "close":
			v.Event = "closed the conversation"
		case "open":
			v.Event = "reopened the conversation"
		case "assignment":
			v.Event = "assigned the conversation"
		default:
			continue
		}
		d.Parts = append(d.Parts, v)
	}
	p.Selected = d
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

var (
	imgTag  = regexp.MustCompile(`(?i)<img[^>]*>`)
	breakRe = regexp.MustCompile(`(?i)</p>\s*<p[^>]*>|<br\s*/?>`)
	tagRe   = regexp.MustCompile(`<[^>]+>`)
)

// bodyHTML shows a message's or note's HTML body as Intercom's inbox
// does: its text with paragraphs as lines, images as "[image]" and its
// http(s) links clickable (a Case link in a note); any other markup is
// dropped and the text escaped.
func bodyHTML(body string) template.HTML {
	var b strings.Builder
	open := false
	for len(body) > 0 {
		loc := tagRe.FindStringIndex(body)
		if loc == nil {
			b.WriteString(html.EscapeString(html.UnescapeString(body)))
			break
		}
		b.WriteString(html.EscapeString(html.UnescapeString(body[:loc[0]])))
		tag := body[loc[0]:loc[1]]
		body = body[loc[1]:]
		switch {
		case imgTag.MatchString(tag):
			b.WriteString(" [image] ")
		case lineEnd.MatchString(tag):
			b.WriteString("\n")
		case linkOpen.MatchString(tag) && !open:
			href := html.UnescapeString(linkOpen.FindStringSubmatch(tag)[1])
			if u, err := url.Parse(href); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				b.WriteString(`<a href="` + html.EscapeString(href) + `" target="_blank" rel="noopener">`)
				open = true
			}
		case strings.EqualFold(tag, "</a>") && open:
			b.WriteString("</a>")
			open = false
		}
	}
	if open {
		b.WriteString("</a>")
	}
	return template.HTML(strings.TrimSpace(b.String()))
}

var (
	linkOpen = regexp.MustCompile(`(?i)^<a\s[^>]*href="([^"]*)"`)
	lineEnd  = regexp.MustCompile(`(?i)^(</p\s*>|<br\s*/?>)$`)
)

// plainText shows a message's HTML body as text.
func plainText(body string) string {
	s := imgTag.ReplaceAllString(body, " [image] ")
	s = breakRe.ReplaceAllString(s, "\n")
	s = tagRe.ReplaceAllString(s, "")
	return strings.TrimSpace(html.UnescapeString(s))
}

func ago(now time.Time, unix int64) string {
	d := now.Sub(time.Unix(unix, 0))
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// canvasView turns what the inbox shows into the template's model.
func canvasView(v InboxView) *inboxCanvasView {
	if v.Error != "" || v.Canvas == nil {
		return &inboxCanvasView{Error: v.Error}
	}
	out := &inboxCanvasView{}
	for _, c := range v.Components() {
		cv := componentView{Type: str(c["type"]), ID: str(c["id"]), Style: str(c["style"]), Align: str(c["align"]),
			Label: str(c["label"]), Placeholder: str(c["placeholder"]), Value: str(c["value"]), Size: str(c["size"]),
			SaveState: str(c["save_state"]), Text: markdown(str(c["text"])), Disabled: c["disabled"] == true,
			Error: c["error"] == true, Rounded: c["rounded"] == true, Action: action(c["action"]),
			Image: str(c["url"]), Width: num(c["width"]), Height: num(c["height"])}
		if cv.Type == "text" && cv.Style == "" {
			cv.Style = "paragraph"
		}
		if cv.Type == "button" && cv.Style == "" {
			cv.Style = "primary"
		}
		if cv.Type == "spacer" && cv.Size == "" {
			cv.Size = "s"
		}
		items, _ := c["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			cv.Items = append(cv.Items, itemView{Field: str(m["field"]), Value: str(m["value"]), ID: str(m["id"]), Title: str(m["title"]),
				Subtitle: str(m["subtitle"]), Tertiary: str(m["tertiary_text"]), Image: str(m["image"]),
				ImageWidth: num(m["image_width"]), ImageHeight: num(m["image_height"]),
				Disabled: m["disabled"] == true || c["disabled"] == true, Action: action(m["action"])})
		}
		opts, _ := c["options"].([]any)
		if opts == nil {
			opts, _ = c["option"].([]any)
		}
		picked := map[string]bool{}
		if vals, ok := c["value"].([]any); ok {
			for _, x := range vals {
				picked[str(x)] = true
			}
		}
		for _, o := range opts {
			m, _ := o.(map[string]any)
			id := str(m["id"])
			cv.Options = append(cv.Options, optionView{ID: id, Text: str(m["text"]), Disable: m["disabled"] == true,
				Selected: id == cv.Value || picked[id]})
		}
		out.Components = append(out.Components, cv)
	}
	return out
}

func str(x any) string {
	s, _ := x.(string)
	return s
}

func num(x any) int {
	f, _ := x.(float64)
	return int(f)
}

func action(x any) actionView {
	m, _ := x.(map[string]any)
	return actionView{Type: str(m["type"]), URL: str(m["url"])}
}

var (
	mdLink = regexp.MustCompile(`\[([^\]]+)\]\((https?://[^\s)]+)\)`)
	mdBold = regexp.MustCompile(`\*\*([^*]+)\*\*`)
)

// markdown renders a text component's markdown links and bold, as
// Intercom does, escaping everything else.
func markdown(s string) template.HTML {
	e := template.HTMLEscapeString(s)
	e = mdLink.ReplaceAllStringFunc(e, func(m string) string {
		sub := mdLink.FindStringSubmatch(m)
		return `<a href="` + sub[2] + `" target="_blank" rel="noopener">` + sub[1] + `</a>`
	})
	e = mdBold.ReplaceAllString(e, "<strong>$1</strong>")
	return template.HTML(strings.ReplaceAll(e, "\n", "<br>"))
}
