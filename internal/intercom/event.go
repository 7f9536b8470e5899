package intercom

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

// DataEvent is a custom event recorded against a contact.
type DataEvent struct {
	Type           string         `json:"type,omitempty"`
	EventName      string         `json:"event_name"`
	CreatedAt      Timestamp      `json:"created_at"`
	UserID         string         `json:"user_id,omitempty"`
	ID             string         `json:"id,omitempty"`
	IntercomUserID string         `json:"intercom_user_id,omitempty"`
	Email          string         `json:"email,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
}

// CreateEvent records an event. EventName and CreatedAt are required, plus
// one of ID (Intercom id; needed for leads), UserID or Email. Intercom
// answers 202 and silently drops exact duplicates.
func (c *Client) CreateEvent(ctx context.Context, ev DataEvent) error {
	ev.Type = ""
	return c.call(ctx, request{method: http.MethodPost, route: "/events", path: "/events", body: ev, auth: true}, nil)
}

// EventFilter selects whose events ListEvents returns: exactly one of
// IntercomUserID, UserID or Email.
type EventFilter struct {
	IntercomUserID string
	UserID         string
	Email          string
	PerPage        int
}

// ListEvents iterates over a contact's events (the last 90 days).
func (c *Client) ListEvents(ctx context.Context, f EventFilter) iter.Seq2[DataEvent, error] {
	return paginate(ctx, false, func(ctx context.Context, cursor string) ([]DataEvent, string, error) {
		var q url.Values
		if cursor != "" {
			// The next page is a full URL; reuse its query verbatim.
			u, err := url.Parse(cursor)
			if err != nil {
				return nil, "", err
			}
			q = u.Query()
		} else {
			q = perPageQuery(url.Values{"type": {"user"}}, f.PerPage)
			switch {
			case f.IntercomUserID != "":
				q.Set("intercom_user_id", f.IntercomUserID)
			case f.UserID != "":
				q.Set("user_id", f.UserID)
			case f.Email != "":
				q.Set("email", f.Email)
			}
		}
		var out struct {
			Events []DataEvent `json:"events"`
			Pages  *struct {
				Next string `json:"next"`
			} `json:"pages"`
		}
		if err := c.call(ctx, request{method: http.MethodGet, route: "/events", path: "/events", query: q, auth: true}, &out); err != nil {
			return nil, "", err
		}
		next := ""
		if out.Pages != nil {
			next = out.Pages.Next
		}
		return out.Events, next, nil
	})
}
