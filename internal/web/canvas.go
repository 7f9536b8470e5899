package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
)

// canvasMaxBody bounds an inbox app request; Intercom's are a few KB.
const canvasMaxBody = 1 << 20

// canvasTimeout bounds the work of one inbox app request, well inside the
// time Intercom waits for an answer.
const canvasTimeout = 8 * time.Second

// canvasRequest is an Intercom Canvas Kit Initialize or Submit request of
// an inbox app. Older workspaces send the person as "customer".
type canvasRequest struct {
	WorkspaceID  string      `json:"workspace_id"`
	Admin        canvasAdmin `json:"admin"`
	Conversation struct {
		ID intercom.FlexString `json:"id"`
	} `json:"conversation"`
	Contact     *canvasContact `json:"contact"`
	Customer    *canvasContact `json:"customer"`
	ComponentID string         `json:"component_id"`
	InputValues map[string]any `json:"input_values"`
	// The canvas the teammate used and its stored_data; some apps read a
	// top-level stored_data, so both places are looked at.
	CurrentCanvas *struct {
		StoredData json.RawMessage `json:"stored_data"`
	} `json:"current_canvas"`
	StoredData json.RawMessage `json:"stored_data"`
}

// storedContact is the Intercom contact the used canvas was made for, from
// its stored_data ("" when it does not say, or says it in a form ferry
// never writes).
func (r *canvasRequest) storedContact() string {
	raw := r.StoredData
	if r.CurrentCanvas != nil && len(r.CurrentCanvas.StoredData) > 0 {
		raw = r.CurrentCanvas.StoredData
	}
	var sd map[string]any
	if json.Unmarshal(raw, &sd) != nil {
		return ""
	}
	id, _ := sd[storedContactKey].(string)
	return id
}

type canvasAdmin struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type canvasContact struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// person is the Intercom contact of the request, from either key.
func (r *canvasRequest) person() app.InboxPerson {
	c := r.Contact
	if c == nil {
		c = r.Customer
	}
	if c == nil {
		return app.InboxPerson{}
	}
	return app.InboxPerson{IntercomID: c.ID, Email: strings.TrimSpace(c.Email), Name: c.Name, Phone: c.Phone}
}

// setEmail makes the request's person have email (the one a form gave).
func (r *canvasRequest) setEmail(email string) {
	if r.Contact == nil && r.Customer == nil {
		r.Contact = &canvasContact{}
	}
	if r.Contact != nil {
		r.Contact.Email = email
	} else {
		r.Customer.Email = email
	}
}

// input returns a string input value.
func (r *canvasRequest) input(id string) string {
	s, _ := r.InputValues[id].(string)
	return strings.TrimSpace(s)
}

// canvasInitialize is POST /canvas/initialize: the inbox app opened beside a
// conversation (F8.4).
func (s *Server) canvasInitialize(w http.ResponseWriter, r *http.Request) {
	s.serveCanvas(w, r, func(ctx context.Context, req *canvasRequest) canvas {
		return s.inboxCanvas(ctx, req, "")
	})
}

// canvasSubmit is POST /canvas/submit: a teammate used a component of the
// app's canvas.
func (s *Server) canvasSubmit(w http.ResponseWriter, r *http.Request) {
	s.serveCanvas(w, r, func(ctx context.Context, req *canvasRequest) canvas {
		if stored := req.storedContact(); stored != "" && stored != req.person().IntercomID && req.ComponentID != componentRefresh {
			// The canvas was made for another person: the contact was
			// merged or the conversation changed hands since. Acting on
			// it could make a record for the wrong person.
			c := s.inboxCanvas(ctx, req, "")
			c.Content.Components = append([]component{text("This conversation's person changed since the app was shown (merged or replaced in Intercom), so nothing was done. Here is who it is now.", "muted")},
				c.Content.Components...)
			return c
		}
		switch req.ComponentID {
		case componentRefresh:
			return s.inboxCanvas(ctx, req, "")
		case componentShowOpportunity:
			return s.inboxCanvas(ctx, req, req.input(componentOpportunity))
		case componentCreateLead:
			return s.leadFormCanvas(ctx, req)
		case componentSubmitLead:
			return s.submitLeadCanvas(ctx, req)
		case componentLogConversation:
			return s.logFormCanvas(ctx, req)
		case componentSubmitLog:
			return s.logConversationCanvas(ctx, req)
		case componentNewCase:
			return s.caseFormCanvas(ctx, req)
		case componentSubmitCase:
			return s.submitCaseCanvas(ctx, req)
		default:
			return messageCanvas("This button is not known to ferry",
				"The app may have been updated since this conversation was opened. Reload the app to see the current version.")
		}
	})
}

// serveCanvas verifies an inbox app request and answers it with the canvas
// build returns. An unsigned or wrongly signed request gets 401 and nothing
// is done; anything else gets 200 with a canvas, an error canvas when the
// request cannot be served.
func (s *Server) serveCanvas(w http.ResponseWriter, r *http.Request, build func(context.Context, *canvasRequest) canvas) {
	body, err := io.ReadAll(io.LimitReader(r.Body, canvasMaxBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "unreadable", "the request body could not be read")
		return
	}
	if len(body) > canvasMaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the request body is too large")
		return
	}
	if !validBodySignature(s.cfg.Intercom.ClientSecret, body, r.Header.Get("X-Body-Signature")) {
		s.log.WarnContext(r.Context(), "inbox app request with a missing or wrong signature", "path", r.URL.Path)
		writeError(w, http.StatusUnauthorized, "bad_signature", "the X-Body-Signature header is missing or wrong")
		return
	}
	var req canvasRequest
	var out canvas
	if err := json.Unmarshal(body, &req); err != nil {
		out = messageCanvas("ferry could not read this request",
			"Intercom sent something ferry does not understand. Reload the app; if it keeps happening, tell your ferry admin.")
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), canvasTimeout)
		out = build(ctx, &req)
		cancel()
	}
	data, err := out.encode()
	if err != nil {
		s.log.ErrorContext(r.Context(), "inbox app canvas", "error", err)
		data, _ = messageCanvas("This record is too large to show",
			"Open it in Salesforce instead.").encode()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// validBodySignature checks X-Body-Signature: the lowercase hex
// HMAC-SHA256 of the raw body with the Intercom app's client secret.
// Without a secret nothing can be verified, so nothing is accepted.
func validBodySignature(secret string, body []byte, header string) bool {
	if secret == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	want := hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(strings.ToLower(strings.TrimSpace(header))))
}

// inboxCanvas reads the request's person from Salesforce and renders what
// was found; opportunity picks the Opportunity shown ("" the first).
func (s *Server) inboxCanvas(ctx context.Context, req *canvasRequest, opportunity string) canvas {
	conn, err := s.app.InboxConnection(ctx, req.WorkspaceID)
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	v, err := s.app.InboxView(ctx, conn, req.person())
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	return viewCanvas(v, opportunity)
}

// inboxFailure turns an error into a canvas that says, in a teammate's
// words, what went wrong and what to do.
func (s *Server) inboxFailure(ctx context.Context, err error) canvas {
	title, advice, _ := inboxProblem(err)
	s.log.WarnContext(ctx, "inbox app could not be served", "error", err)
	c := messageCanvas(title, advice)
	c.Content.Components = append(c.Content.Components, button(componentRefresh, "Try again", "secondary", submitAction()))
	return c
}

// inboxProblem says in a teammate's words what went wrong with an inbox
// action and what to do; known is false for an unexpected error, which
// gets general words.
func inboxProblem(err error) (title, advice string, known bool) {
	var ae *app.Error
	switch {
	case errors.As(err, &ae) && ae.Kind == app.NotFound && strings.Contains(ae.Msg, "workspace"):
		return ae.Msg, "Ask your ferry admin to connect this workspace in ferry's settings.", true
	case errors.As(err, &ae):
		return ae.Msg, "", true
	case errors.Is(err, connection.ErrNotConnected):
		return "Salesforce is not connected", "Ask your ferry admin to connect Salesforce in ferry.", true
	case errors.Is(err, salesforce.ErrTokenRevoked), errors.Is(err, salesforce.ErrSessionInvalid), errors.Is(err, salesforce.ErrNoRefreshToken):
		return "ferry's access to Salesforce was revoked", "Ask your ferry admin to reconnect Salesforce in ferry.", true
	case errors.Is(err, salesforce.ErrAPIDisabled):
		return "Salesforce refuses API access for this org", "Ask your Salesforce admin to enable API access for ferry's user.", true
	case errors.Is(err, salesforce.ErrRequestLimitExceeded), errors.Is(err, app.ErrInboxBudgetSpent):
		return "Salesforce's API limit for today is reached", "The limit resets over the next day. Ask your ferry admin if this is urgent.", true
	case errors.Is(err, context.DeadlineExceeded):
		return "Salesforce is taking too long to answer", "Try again in a moment.", true
	case salesforce.IsTransient(err):
		return "Salesforce is not answering right now", "Try again in a few minutes.", true
	}
	return "Salesforce could not be read", "Try again in a moment. If it keeps happening, tell your ferry admin.", false
}
