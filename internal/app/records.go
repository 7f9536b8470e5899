package app

import (
	"context"
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
	// Label names the record for people: the person's email when the
	// mapping was matched by it, else the record's id.
	Label string
}

// Links returns the links of a record given by either id: its mapping
// supplies the other side's id. intercomApp is Intercom's web app base
// (https://app.intercom.com).
func (a *App) Links(ctx context.Context, c ConnectionView, recordID, intercomApp string) (RecordLinks, error) {
	all, err := a.LinksOf(ctx, c, []string{recordID}, intercomApp)
	return all[recordID], err
}

// LinksOf returns the links of many records by Intercom id (a Salesforce
// id stands for itself), reading their mappings in one query.
func (a *App) LinksOf(ctx context.Context, c ConnectionView, recordIDs []string, intercomApp string) (map[string]RecordLinks, error) {
	ms, err := a.store.ListMappingsByIntercomIDs(ctx, c.ID, recordIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]RecordLinks, len(recordIDs))
	for _, id := range recordIDs {
		l := RecordLinks{IntercomID: id, Label: id}
		m, mapped := ms[id]
		if mapped {
			l.SalesforceID = m.SFID
			// A person matched by email keeps the normalized email as its
			// key; other keys (external ids, company ids) mean nothing to
			// a reader, so the id stays.
			if m.Kind == store.MappingPerson && strings.Contains(m.MatchKey, "@") {
				l.Label = m.MatchKey
			}
		}
		if l.SalesforceID != "" && c.Salesforce.InstanceURL != "" {
			l.SalesforceURL = strings.TrimRight(c.Salesforce.InstanceURL, "/") + "/" + url.PathEscape(l.SalesforceID)
		}
		if intercomApp != "" && c.Intercom.WorkspaceID != "" {
			kind := "users"
			if mapped && m.Kind == store.MappingCompany {
				kind = "companies"
			}
			l.IntercomURL = strings.TrimRight(intercomApp, "/") + "/a/apps/" + url.PathEscape(c.Intercom.WorkspaceID) + "/" + kind + "/" + url.PathEscape(id)
		}
		out[id] = l
	}
	return out, nil
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
