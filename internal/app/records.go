package app

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// RecordLinks are where a record opens in Salesforce and in Intercom;
// empty when unknown.
type RecordLinks struct {
	SalesforceID  string
	SalesforceURL string
	IntercomID    string
	IntercomURL   string
}

// Links returns the links of a record given by either id: its mapping
// supplies the other side's id. intercomApp is Intercom's web app base
// (https://app.intercom.com).
func (a *App) Links(ctx context.Context, c ConnectionView, recordID, intercomApp string) (RecordLinks, error) {
	var l RecordLinks
	m, err := a.store.GetMappingByIntercomID(ctx, c.ID, recordID)
	switch {
	case err == nil:
		l.IntercomID, l.SalesforceID = m.IntercomID, m.SFID
	case errors.Is(err, store.ErrNotFound):
		l.IntercomID = recordID
	default:
		return l, err
	}
	if l.SalesforceID != "" && c.Salesforce.InstanceURL != "" {
		l.SalesforceURL = strings.TrimRight(c.Salesforce.InstanceURL, "/") + "/" + url.PathEscape(l.SalesforceID)
	}
	if intercomApp != "" && c.Intercom.WorkspaceID != "" && l.IntercomID != "" {
		kind := "users"
		if m.Kind == store.MappingCompany {
			kind = "companies"
		}
		l.IntercomURL = strings.TrimRight(intercomApp, "/") + "/a/apps/" + url.PathEscape(c.Intercom.WorkspaceID) + "/" + kind + "/" + url.PathEscape(l.IntercomID)
	}
	return l, nil
}

// FindRecords returns the record ids whose history a search names: an
// email finds the Intercom records matched by it; an Intercom or
// Salesforce id is itself.
func (a *App) FindRecords(ctx context.Context, connID int64, q string) ([]string, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	if !strings.Contains(q, "@") {
		return []string{q}, nil
	}
	ms, err := a.store.ListMappingsByMatchKey(ctx, connID, sync.NormalizeEmail(q), 20)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.IntercomID)
	}
	return out, nil
}
