package intercom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The inbox plays Intercom's inbox for a Canvas Kit app "for teammates",
// added to the conversation details: opening the app beside a conversation
// POSTs a signed Initialize request to the app, using a component of its
// canvas POSTs a signed Submit request, and every canvas the app answers is
// checked against Canvas Kit's component schema before it is shown.

// InboxApp is an Intercom app's Canvas Kit configuration for the inbox
// (Developer Hub: Canvas Kit → For teammates → Add to conversation
// details).
type InboxApp struct {
	// InitializeURL is the "Initialize flow webhook URL".
	InitializeURL string `json:"initialize_url"`
	// SubmitURL is the "Submit flow webhook URL".
	SubmitURL string `json:"submit_url"`
	// ClientSecret signs the requests (X-Body-Signature); empty means the
	// app's Options.ClientSecret, as Intercom signs with the app's OAuth
	// client secret.
	ClientSecret string `json:"client_secret,omitempty"`
	// ContactKey names the person in requests: "contact" (current
	// workspaces), "customer" (older ones) or "both". Default "contact".
	ContactKey string `json:"contact_key,omitempty"`
}

// inboxTimeout is how long the inbox waits for an app's answer; Intercom
// documents none, apps are told to answer within about 10 seconds.
const inboxTimeout = 10 * time.Second

// inboxMaxAnswer bounds the answer read from an app: a canvas's content
// and stored_data are at most 64 KB each.
const inboxMaxAnswer = 1 << 20

// SomethingWentWrong is what the inbox shows in place of a canvas it
// refuses or cannot get.
const SomethingWentWrong = "Something went wrong"

// InboxView is what a teammate sees in the app's place beside a
// conversation: the app's canvas, or "Something went wrong" and why.
type InboxView struct {
	ConversationID string `json:"conversation_id"`
	AdminID        string `json:"admin_id"`
	ContactID      string `json:"contact_id"`
	// Status is the HTTP status the app answered with (0: no answer).
	Status int `json:"status"`
	// Canvas is the canvas shown, as the app sent it; absent when refused.
	Canvas json.RawMessage `json:"canvas,omitempty"`
	// Event is the answer's event type ("completed"), if any.
	Event string `json:"event,omitempty"`
	// Error says why the inbox shows "Something went wrong" instead of a
	// canvas (an invalid canvas lists its problems).
	Error string `json:"error,omitempty"`

	canvas Canvas
	// contact is the person as the view was opened for, sent again with
	// Submit when the contact has since been deleted (a stale tab).
	contact json.RawMessage
}

// Components are the components of the canvas shown (none when refused).
func (v InboxView) Components() []map[string]any { return v.canvas.Components }

// StoredData is the stored_data of the canvas shown.
func (v InboxView) StoredData() map[string]any { return v.canvas.StoredData }

// InboxClick is a teammate using a component of the canvas shown.
type InboxClick struct {
	// ComponentID is the button, list item, input or single-select used.
	ComponentID string `json:"component_id"`
	// InputValues are what the teammate typed or picked, by component id;
	// inputs not named keep the values the canvas gave them.
	InputValues map[string]any `json:"input_values,omitempty"`
	// StoredData, when set, replaces the canvas's stored_data sent back:
	// a knob for testing an app against tampered data.
	StoredData json.RawMessage `json:"stored_data,omitempty"`
	// Stale sends the click even when the canvas shown has no such
	// component, as an inbox tab showing an older canvas would.
	Stale bool `json:"stale,omitempty"`
}

// InboxStats counts the canvases the inbox received.
type InboxStats struct {
	Requests int64 `json:"requests"` // Initialize and Submit requests sent
	Shown    int64 `json:"shown"`    // canvases valid and shown
	Refused  int64 `json:"refused"`  // answers refused: not 200, not a valid canvas, or none
}

type inboxKey struct{ admin, conversation string }

// inbox is the Server's inbox: its app and what each teammate sees.
type inbox struct {
	client *http.Client

	mu    sync.Mutex
	app   InboxApp
	shown map[inboxKey]*InboxView

	requests, valid, refused atomic.Int64
}

func newInbox(app InboxApp) *inbox {
	return &inbox{client: &http.Client{Timeout: inboxTimeout}, app: app, shown: map[inboxKey]*InboxView{}}
}

// SetInboxApp configures the app shown in the inbox's conversation
// details.
func (s *Server) SetInboxApp(app InboxApp) error {
	switch app.ContactKey {
	case "", "contact", "customer", "both":
	default:
		return fmt.Errorf("intercom: inbox app: contact_key must be contact, customer or both, not %q", app.ContactKey)
	}
	s.inbox.mu.Lock()
	defer s.inbox.mu.Unlock()
	s.inbox.app = app
	return nil
}

// InboxAppConfig returns the inbox app's configuration.
func (s *Server) InboxAppConfig() InboxApp {
	s.inbox.mu.Lock()
	defer s.inbox.mu.Unlock()
	return s.inbox.app
}

// InboxStats reports the inbox's requests and the canvases it showed and
// refused.
func (s *Server) InboxStats() InboxStats {
	return InboxStats{Requests: s.inbox.requests.Load(), Shown: s.inbox.valid.Load(), Refused: s.inbox.refused.Load()}
}

// InboxShown returns what a teammate currently sees beside a conversation
// (adminID "" is the default viewer, see OpenInboxApp).
func (s *Server) InboxShown(conversationID, adminID string) (InboxView, bool) {
	adminID = s.inboxViewer(conversationID, adminID)
	s.inbox.mu.Lock()
	defer s.inbox.mu.Unlock()
	v := s.inbox.shown[inboxKey{adminID, conversationID}]
	if v == nil {
		return InboxView{}, false
	}
	return *v, true
}

// inboxViewer is the teammate looking at a conversation: adminID, or the
// conversation's assignee, or the first teammate other than the app's own
// admin.
func (s *Server) inboxViewer(conversationID, adminID string) string {
	if adminID != "" {
		return adminID
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := s.st.conversations[conversationID]; c != nil && c.adminAssignee != nil && s.adminExists(*c.adminAssignee) {
		return strconv.FormatInt(*c.adminAssignee, 10)
	}
	for _, a := range s.st.admins {
		if a.ID != s.st.ownAdminID {
			return a.ID
		}
	}
	return s.st.ownAdminID
}

// canvasRequest is an Initialize or Submit request body, fields in the
// order of Intercom's documentation.
type canvasRequest struct {
	WorkspaceID     string           `json:"workspace_id"`
	WorkspaceRegion string           `json:"workspace_region"`
	Admin           adminJSON        `json:"admin"`
	Conversation    conversationJSON `json:"conversation"`
	Contact         json.RawMessage  `json:"contact,omitempty"`
	Customer        json.RawMessage  `json:"customer,omitempty"`
	Context         canvasContext    `json:"context"`
	ComponentID     string           `json:"component_id,omitempty"`
	InputValues     map[string]any   `json:"input_values,omitempty"`
	CurrentCanvas   json.RawMessage  `json:"current_canvas,omitempty"`
}

type canvasContext struct {
	ConversationID string `json:"conversation_id"`
	Location       string `json:"location"`
	Locale         string `json:"locale"`
}

// OpenInboxApp shows the app beside a conversation as a teammate (adminID
// "" is the conversation's assignee, else the first teammate): a signed
// Initialize request for the conversation's (first) contact. The view is
// returned whatever the app answered; the error is for what the inbox
// itself cannot do (no app configured, no such conversation or teammate).
func (s *Server) OpenInboxApp(ctx context.Context, conversationID, adminID string) (InboxView, error) {
	adminID = s.inboxViewer(conversationID, adminID)
	app := s.InboxAppConfig()
	if app.InitializeURL == "" {
		return InboxView{}, fmt.Errorf("intercom: inbox: no app is configured (set its Initialize and Submit URLs)")
	}
	req, v, err := s.canvasRequestFor(conversationID, adminID, nil)
	if err != nil {
		return InboxView{}, err
	}
	return s.sendCanvasRequest(ctx, app, app.InitializeURL, req, v), nil
}

// ClickComponent uses a component of the canvas a teammate sees beside a
// conversation (adminID as for OpenInboxApp): a signed Submit request with
// the component's id, the canvas's input values and the canvas itself as
// current_canvas. The component must be on the canvas and submit to the
// app (a button, list item, input or single-select with a submit action)
// unless click.Stale.
func (s *Server) ClickComponent(ctx context.Context, conversationID, adminID string, click InboxClick) (InboxView, error) {
	adminID = s.inboxViewer(conversationID, adminID)
	app := s.InboxAppConfig()
	if app.SubmitURL == "" {
		return InboxView{}, fmt.Errorf("intercom: inbox: no app is configured (set its Initialize and Submit URLs)")
	}
	shown, ok := s.InboxShown(conversationID, adminID)
	if !ok || shown.Canvas == nil {
		return InboxView{}, fmt.Errorf("intercom: inbox: the app shows no canvas for conversation %s to admin %s; open it first", conversationID, adminID)
	}
	inputs := canvasInputs(shown.canvas.Components)
	if !click.Stale {
		if err := clickable(shown.canvas.Components, click.ComponentID); err != nil {
			return InboxView{}, err
		}
		for id := range click.InputValues {
			if _, ok := inputs[id]; !ok {
				return InboxView{}, fmt.Errorf("intercom: inbox: the canvas has no input %q", id)
			}
		}
	}
	for id, val := range click.InputValues {
		inputs[id] = val
	}
	current := shown.Canvas
	if click.StoredData != nil {
		var c map[string]json.RawMessage
		if err := json.Unmarshal(shown.Canvas, &c); err != nil {
			return InboxView{}, fmt.Errorf("intercom: inbox: the canvas shown: %w", err)
		}
		c["stored_data"] = click.StoredData
		current, _ = json.Marshal(c)
	}
	req, v, err := s.canvasRequestFor(conversationID, adminID, shown.contact)
	if err != nil {
		return InboxView{}, err
	}
	req.ComponentID = click.ComponentID
	req.InputValues = inputs
	req.CurrentCanvas = current
	return s.sendCanvasRequest(ctx, app, app.SubmitURL, req, v), nil
}

// canvasRequestFor builds the request common to Initialize and Submit.
// stale is the contact as first shown, sent when the conversation's
// contact has since been deleted.
func (s *Server) canvasRequestFor(conversationID, adminID string, stale json.RawMessage) (canvasRequest, InboxView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, herr := s.conversationLocked(conversationID)
	if herr != nil {
		return canvasRequest{}, InboxView{}, fmt.Errorf("intercom: inbox: conversation %s: %w", conversationID, herr)
	}
	a := s.st.adminByID[adminID]
	if a == nil {
		return canvasRequest{}, InboxView{}, fmt.Errorf("intercom: inbox: admin %s not found", adminID)
	}
	v := InboxView{ConversationID: c.id, AdminID: a.ID}
	req := canvasRequest{WorkspaceID: s.appID, WorkspaceRegion: "us", Admin: a.json(),
		Conversation: s.conversationJSON(c, c.parts),
		Context:      canvasContext{ConversationID: c.id, Location: "conversation", Locale: "en"}}
	if len(c.contactIDs) > 0 {
		v.ContactID = c.contactIDs[0]
		if ct := s.st.contacts[v.ContactID]; ct != nil && !ct.deleted {
			v.contact, _ = json.Marshal(s.contactJSON(ct, false))
		} else if stale != nil {
			v.contact = stale
		} else if ct != nil {
			v.contact, _ = json.Marshal(s.contactJSON(ct, false))
		}
	}
	return req, v, nil
}

// sendCanvasRequest signs and posts req to the app, validates its answer
// and records what the teammate now sees.
func (s *Server) sendCanvasRequest(ctx context.Context, app InboxApp, url string, req canvasRequest, v InboxView) InboxView {
	switch app.ContactKey {
	case "customer":
		req.Customer = v.contact
	case "both":
		req.Contact, req.Customer = v.contact, v.contact
	default:
		req.Contact = v.contact
	}
	secret := app.ClientSecret
	if secret == "" {
		secret = s.opts.ClientSecret
	}
	s.inbox.requests.Add(1)
	status, body, err := s.postCanvas(ctx, url, secret, req)
	v.Status = status
	switch {
	case err != nil:
		v.Error = err.Error()
	case status != http.StatusOK:
		v.Error = fmt.Sprintf("the app answered %d: %s", status, clipText(string(body), 200))
	default:
		c, err := ValidateCanvasResponse(body)
		if err != nil {
			v.Error = err.Error()
		} else {
			v.canvas, v.Canvas, v.Event = c, c.Raw, c.Event
		}
	}
	if v.Error != "" {
		s.inbox.refused.Add(1)
		s.log.Warn("intercom: inbox app answer refused; the inbox shows "+SomethingWentWrong,
			"url", url, "conversation", v.ConversationID, "status", status, "problem", v.Error)
	} else {
		s.inbox.valid.Add(1)
	}
	s.inbox.mu.Lock()
	s.inbox.shown[inboxKey{v.AdminID, v.ConversationID}] = &v
	s.inbox.mu.Unlock()
	return v
}

// postCanvas posts one signed request and reads the answer.
func (s *Server) postCanvas(ctx context.Context, url, secret string, req canvasRequest) (int, []byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, nil, fmt.Errorf("encode the request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, inboxTimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("the app's URL: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "Intercom-Canvas-Kit/1.0")
	hr.Header.Set("X-Body-Signature", SignCanvas(secret, body))
	resp, err := s.inbox.client.Do(hr)
	if err != nil {
		return 0, nil, fmt.Errorf("the app could not be reached: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, inboxMaxAnswer+1))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("the app's answer could not be read: %w", err)
	}
	if len(data) > inboxMaxAnswer {
		return resp.StatusCode, nil, errors.New("the app's answer is over 1 MB")
	}
	return resp.StatusCode, data, nil
}

// SignCanvas is the X-Body-Signature of a Canvas Kit request: the
// lowercase hex HMAC-SHA256 of the raw body keyed with the app's client
// secret, no prefix.
func SignCanvas(clientSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// canvasInputs are the values a canvas's inputs hold, by component id, as
// Submit sends them: strings, and arrays of option ids for checkboxes.
func canvasInputs(components []map[string]any) map[string]any {
	out := map[string]any{}
	for _, c := range components {
		id, _ := c["id"].(string)
		switch c["type"] {
		case "input", "textarea", "dropdown", "single-select":
			s, _ := c["value"].(string)
			out[id] = s
		case "checkbox":
			vals, _ := c["value"].([]any)
			if vals == nil {
				vals = []any{}
			}
			out[id] = vals
		}
	}
	return out
}

// clickable checks that id is a component (or list item) of the canvas that
// submits to the app.
func clickable(components []map[string]any, id string) error {
	submits := func(m map[string]any) bool {
		a, _ := m["action"].(map[string]any)
		return a != nil && a["type"] == "submit" && m["disabled"] != true
	}
	for _, c := range components {
		if c["id"] == id {
			switch c["type"] {
			case "button", "input", "single-select":
				if submits(c) {
					return nil
				}
			}
			return fmt.Errorf("intercom: inbox: component %q does not submit to the app", id)
		}
		if c["type"] == "list" {
			items, _ := c["items"].([]any)
			for _, it := range items {
				m, _ := it.(map[string]any)
				if m != nil && m["id"] == id {
					if submits(m) && c["disabled"] != true {
						return nil
					}
					return fmt.Errorf("intercom: inbox: list item %q does not submit to the app", id)
				}
			}
		}
	}
	return fmt.Errorf("intercom: inbox: the canvas has no component %q", id)
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
