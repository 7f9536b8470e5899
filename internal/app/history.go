package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// HistoryView is one entry of a record's history (F8.3): what changed,
// from which side, by which rule, and the outcome.
type HistoryView struct {
	ID           int64           `json:"id"`
	Object       string          `json:"object"`
	IntercomID   string          `json:"intercom_id,omitempty"`
	SalesforceID string          `json:"salesforce_id,omitempty"`
	Origin       string          `json:"origin"`
	Rule         string          `json:"rule,omitempty"`
	Changes      json.RawMessage `json:"changes,omitempty"`
	Outcome      string          `json:"outcome"`
	Message      string          `json:"message,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// HistoryPage is one page of a record's history, newest first.
type HistoryPage struct {
	Record  string        `json:"record"`
	History []HistoryView `json:"history"`
	// NextBefore continues the list (the page's last id), 0 at the end.
	NextBefore int64 `json:"next_before,omitempty"`
}

// History returns what changed on a record (an Intercom or Salesforce id),
// newest first.
func (a *App) History(ctx context.Context, connID int64, record string, page store.Page) (HistoryPage, error) {
	if record == "" {
		return HistoryPage{}, errorf(Invalid, "record is required: an Intercom or Salesforce record id")
	}
	if page.Limit <= 0 || page.Limit > MaxPage {
		return HistoryPage{}, errorf(Invalid, "limit must be between 1 and %d", MaxPage)
	}
	list, err := a.store.ListHistory(ctx, connID, record, page)
	if err != nil {
		return HistoryPage{}, err
	}
	out := HistoryPage{Record: record, History: make([]HistoryView, 0, len(list))}
	for _, e := range list {
		v := HistoryView{ID: e.ID, Object: e.Object, IntercomID: e.IntercomID, SalesforceID: e.SalesforceID,
			Origin: string(e.Origin), Rule: PlainWords(e.Rule), Outcome: e.Outcome, Message: PlainWords(e.Message), CreatedAt: e.CreatedAt.UTC()}
		if json.Valid([]byte(e.Changes)) {
			v.Changes = json.RawMessage(e.Changes)
		} else if e.Changes != "" {
			v.Changes, _ = json.Marshal(e.Changes)
		}
		out.History = append(out.History, v)
	}
	if len(list) == page.Limit {
		out.NextBefore = list[len(list)-1].ID
	}
	return out, nil
}
