package web

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferrysync/ferry/internal/app"
)

// canvasMaxBytes is Intercom's limit on a canvas's content.
const canvasMaxBytes = 64 << 10

// canvasMaxValue bounds one shown value, so that long Salesforce text
// cannot push a canvas over its limit.
const canvasMaxValue = 200

// storedContactKey names, in a canvas's stored_data, the Intercom contact
// the canvas was made for.
const storedContactKey = "intercom_contact_id"

// Component ids of the inbox app's canvases.
const (
	componentRefresh         = "refresh"
	componentOpportunity     = "opportunity"
	componentShowOpportunity = "show_opportunity"
	componentCreateLead      = "create_lead"
	componentSubmitLead      = "submit_lead"
	componentLogConversation = "log_conversation"
	componentLogPart         = "log_part"
	componentSubmitLog       = "submit_log"
	componentNewCase         = "new_case"
	componentSubmitCase      = "submit_case"
)

// canvas is a Canvas Kit canvas: components made only of the documented
// types (text, data-table, list, button, input, textarea, dropdown,
// divider, spacer).
type canvas struct {
	Content    canvasContent     `json:"content"`
	StoredData map[string]string `json:"stored_data,omitempty"`
}

type canvasContent struct {
	Components []component `json:"components"`
}

// component is one Canvas Kit component.
type component map[string]any

// encode is the response body {"canvas":…}, refused above the 64 KB limit.
func (c canvas) encode() ([]byte, error) {
	content, err := json.Marshal(c.Content)
	if err != nil {
		return nil, err
	}
	if len(content) > canvasMaxBytes {
		return nil, fmt.Errorf("canvas content is %d bytes, over the %d-byte limit", len(content), canvasMaxBytes)
	}
	return json.Marshal(map[string]any{"canvas": c})
}

func clip(s string) string { return clipTo(s, canvasMaxValue) }

// clipTo shortens s to n characters, the last one "…" when cut.
func clipTo(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func text(s, style string) component {
	return component{"type": "text", "text": clip(s), "style": style}
}

// table is a data-table of field/value pairs; empty values are shown as "—".
func table(pairs ...string) component {
	items := make([]component, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		v := pairs[i+1]
		if v == "" {
			v = "—"
		}
		items = append(items, component{"type": "field-value", "field": pairs[i], "value": clip(v)})
	}
	return component{"type": "data-table", "items": items}
}

func button(id, label, style string, action component) component {
	return component{"type": "button", "id": id, "label": label, "style": style, "action": action}
}

func submitAction() component { return component{"type": "submit"} }

func urlAction(u string) component { return component{"type": "url", "url": u} }

func divider() component { return component{"type": "divider"} }

// joinNonEmpty joins the non-empty parts with " · ".
func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// ownedBy is "Owner: name", or "" without a name.
func ownedBy(name string) string {
	if name == "" {
		return ""
	}
	return "Owner: " + name
}

// mdLink is a text component's markdown link to u, or the words alone
// without a URL.
func mdLink(words, u string) string {
	if u == "" {
		return words
	}
	return "[" + words + "](" + u + ")"
}

// openButton is an "Open in Salesforce" link, none without a URL.
func openButton(id, u string) []component {
	if u == "" {
		return nil
	}
	return []component{button(id, "Open in Salesforce", "link", urlAction(u))}
}

// messageCanvas is a canvas that says what happened and what to do (no
// advice: the title says it all).
func messageCanvas(title, advice string) canvas {
	cs := []component{text(title, "header")}
	if advice != "" {
		cs = append(cs, text(advice, "paragraph"))
	}
	return canvas{Content: canvasContent{Components: cs}}
}

// viewCanvas renders what the inbox found in Salesforce; opportunity picks
// the Opportunity shown ("" the first).
func viewCanvas(v app.InboxView, opportunity string) canvas {
	var cs []component
	switch v.Kind {
	case app.InboxContact:
		ct := v.Contact
		cs = append(cs, text("Salesforce Contact", "header"), table("Name", ct.Name, "Email", ct.Email, "Account owner", ct.Owner))
		cs = append(cs, openButton("open_contact", ct.URL)...)
		if a := v.Account; a != nil {
			cs = append(cs, divider(), text("Account", "header"),
				table("Name", a.Name, "Domain", a.Domain, "Owner", a.Owner, "Country", a.Country))
			cs = append(cs, openButton("open_account", a.URL)...)
		}
		cs = append(cs, opportunityComponents(v.Opportunities, opportunity)...)
		if v.Cases {
			cs = append(cs, caseComponents(v.OpenCases)...)
			cs = append(cs, button(componentNewCase, "New Case", "secondary", submitAction()))
		}
		cs = append(cs, divider(), button(componentLogConversation, "Log to Salesforce", "secondary", submitAction()))
	case app.InboxLead:
		l := v.Lead
		cs = append(cs, text("Salesforce Lead", "header"),
			table("Name", l.Name, "Company", l.Company, "Status", l.Status, "Owner", l.Owner))
		cs = append(cs, openButton("open_lead", l.URL)...)
		cs = append(cs, divider(), button(componentLogConversation, "Log to Salesforce", "secondary", submitAction()))
	case app.InboxMultiple:
		cs = append(cs, text("Multiple matches found", "header"),
			text(strconv.Itoa(len(v.Matches))+" Salesforce records match this person. Open the right one in Salesforce:", "paragraph"))
		items := make([]component, 0, len(v.Matches))
		for _, m := range v.Matches {
			it := component{"type": "item", "id": "match_" + m.ID, "title": clip(nonEmpty(m.Name, m.ID)), "subtitle": clip(joinNonEmpty(m.Object, m.Company))}
			if more := joinNonEmpty(m.Status, ownedBy(m.Owner)); more != "" {
				it["tertiary_text"] = clip(more)
			}
			if m.URL != "" {
				it["action"] = urlAction(m.URL)
			}
			items = append(items, it)
		}
		cs = append(cs, component{"type": "list", "items": items})
	default:
		what := "No Contact or Lead in Salesforce matches this person."
		if v.Person.Email == "" {
			what = "This person has no email address, so ferry cannot look them up in Salesforce or create their Lead. " +
				"Ask for their email, add it to their profile in Intercom, then click Refresh."
		}
		cs = append(cs, text("Not in Salesforce", "header"), text(what, "paragraph"))
		if v.Person.IntercomID != "" && v.Person.Email != "" {
			cs = append(cs, button(componentCreateLead, "Create Lead", "primary", submitAction()))
		}
	}
	cs = append(cs, button(componentRefresh, "Refresh", "secondary", submitAction()))
	return canvas{Content: canvasContent{Components: cs}, StoredData: map[string]string{storedContactKey: v.Person.IntercomID}}
}

// opportunityComponents shows one Opportunity of the Account, with a
// dropdown that switches between several.
func opportunityComponents(opps []app.SFOpportunity, chosen string) []component {
	if len(opps) == 0 {
		return nil
	}
	cs := []component{divider(), text(fmt.Sprintf("Opportunities (%d)", len(opps)), "header")}
	shown := opps[0]
	for _, o := range opps {
		if o.ID == chosen {
			shown = o
		}
	}
	if len(opps) > 1 {
		options := make([]component, 0, len(opps))
		for _, o := range opps {
			options = append(options, component{"type": "option", "id": o.ID, "text": clip(nonEmpty(o.Name, o.ID))})
		}
		cs = append(cs, component{"type": "dropdown", "id": componentOpportunity, "label": "Opportunity", "options": options, "value": shown.ID},
			button(componentShowOpportunity, "Show", "secondary", submitAction()))
	}
	cs = append(cs, table("Name", shown.Name, "Owner", shown.Owner, "Stage", shown.Stage, "Close date", shown.CloseDate, "Amount", shown.Amount))
	return append(cs, openButton("open_opportunity", shown.URL)...)
}

// caseComponents shows the count of open Cases and lists them.
func caseComponents(cases []app.SFCase) []component {
	cs := []component{divider(), text(fmt.Sprintf("Open cases (%d)", len(cases)), "header")}
	if len(cases) == 0 {
		return append(cs, text("No open cases.", "muted"))
	}
	items := make([]component, 0, len(cases))
	for _, c := range cases {
		it := component{"type": "item", "id": "case_" + c.ID, "title": "Case " + c.Number,
			"tertiary_text": c.Status + " · " + c.Priority + " priority"}
		if c.Subject != "" {
			it["subtitle"] = clip(c.Subject)
		}
		if c.URL != "" {
			it["action"] = urlAction(c.URL)
		}
		items = append(items, it)
	}
	return append(cs, component{"type": "list", "items": items})
}

func nonEmpty(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
