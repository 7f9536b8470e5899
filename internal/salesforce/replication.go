package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// UpdatedResult lists records changed in a time window (by SystemModstamp).
type UpdatedResult struct {
	IDs               []string
	LatestDateCovered time.Time
}

// DeletedRecord is one entry of a Deleted result.
type DeletedRecord struct {
	ID          string
	DeletedDate time.Time
}

// DeletedResult lists records deleted in a time window.
type DeletedResult struct {
	Records               []DeletedRecord
	EarliestDateAvailable time.Time
	LatestDateCovered     time.Time
}

// replicationTime formats a window bound; Salesforce uses minute precision
// and at most 30 days (updated) or 15 days (deleted) back.
func replicationTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05+00:00")
}

func parseOptionalTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return ParseTime(s)
}

// Updated returns the ids of object's records updated between start and
// end.
func (c *Client) Updated(ctx context.Context, object string, start, end time.Time) (*UpdatedResult, error) {
	if err := checkObject(object); err != nil {
		return nil, fmt.Errorf("salesforce: updated: %w", err)
	}
	q := url.Values{"start": {replicationTime(start)}, "end": {replicationTime(end)}}
	resp, err := c.do(ctx, http.MethodGet, c.dataPath("sobjects/"+object+"/updated/"), q, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: updated %s: %w", object, err)
	}
	var raw struct {
		IDs               []string `json:"ids"`
		LatestDateCovered string   `json:"latestDateCovered"`
	}
	if err := decode(resp, &raw); err != nil {
		return nil, fmt.Errorf("salesforce: updated %s: %w", object, err)
	}
	out := &UpdatedResult{IDs: raw.IDs}
	if out.LatestDateCovered, err = parseOptionalTime(raw.LatestDateCovered); err != nil {
		return nil, fmt.Errorf("salesforce: updated %s: latestDateCovered: %w", object, err)
	}
	return out, nil
}

// Deleted returns object's records deleted between start and end.
func (c *Client) Deleted(ctx context.Context, object string, start, end time.Time) (*DeletedResult, error) {
	if err := checkObject(object); err != nil {
		return nil, fmt.Errorf("salesforce: deleted: %w", err)
	}
	q := url.Values{"start": {replicationTime(start)}, "end": {replicationTime(end)}}
	resp, err := c.do(ctx, http.MethodGet, c.dataPath("sobjects/"+object+"/deleted/"), q, nil)
	if err != nil {
		return nil, fmt.Errorf("salesforce: deleted %s: %w", object, err)
	}
	out, err := decodeDeleted(resp.body)
	if err != nil {
		return nil, fmt.Errorf("salesforce: deleted %s: %w", object, err)
	}
	return out, nil
}

// DeletedSubrequest is the Composite subrequest of Client.Deleted; decode
// its answer with ParseDeleted.
func (c *Client) DeletedSubrequest(ref, object string, start, end time.Time) (Subrequest, error) {
	if err := checkObject(object); err != nil {
		return Subrequest{}, fmt.Errorf("salesforce: deleted: %w", err)
	}
	q := url.Values{"start": {replicationTime(start)}, "end": {replicationTime(end)}}
	return Subrequest{Method: http.MethodGet, URL: c.dataPath("sobjects/"+object+"/deleted/") + "?" + q.Encode(), ReferenceID: ref}, nil
}

// ParseDeleted decodes the answer of a DeletedSubrequest.
func ParseDeleted(r SubResponse) (*DeletedResult, error) {
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("salesforce: deleted: %w", err)
	}
	out, err := decodeDeleted(r.Body)
	if err != nil {
		return nil, fmt.Errorf("salesforce: deleted: %w", err)
	}
	return out, nil
}

func decodeDeleted(body []byte) (*DeletedResult, error) {
	var raw struct {
		DeletedRecords []struct {
			ID          string `json:"id"`
			DeletedDate string `json:"deletedDate"`
		} `json:"deletedRecords"`
		EarliestDateAvailable string `json:"earliestDateAvailable"`
		LatestDateCovered     string `json:"latestDateCovered"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	out := &DeletedResult{Records: make([]DeletedRecord, 0, len(raw.DeletedRecords))}
	for _, d := range raw.DeletedRecords {
		t, err := parseOptionalTime(d.DeletedDate)
		if err != nil {
			return nil, fmt.Errorf("deletedDate: %w", err)
		}
		out.Records = append(out.Records, DeletedRecord{ID: d.ID, DeletedDate: t})
	}
	var err error
	if out.EarliestDateAvailable, err = parseOptionalTime(raw.EarliestDateAvailable); err != nil {
		return nil, fmt.Errorf("earliestDateAvailable: %w", err)
	}
	if out.LatestDateCovered, err = parseOptionalTime(raw.LatestDateCovered); err != nil {
		return nil, fmt.Errorf("latestDateCovered: %w", err)
	}
	return out, nil
}
