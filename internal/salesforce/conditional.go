package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// ConditionalResult is the outcome of one record's conditional update.
type ConditionalResult struct {
	// Modified: Salesforce modified the record after the update's time
	// and refused it (412 Precondition Failed); nothing was written.
	Modified bool
	// Err is the record's own error (an *APIError), nil on success.
	Err error
}

// UpdateIfUnmodified updates up to MaxSubrequests records of one object
// type in one Composite call (one API call), each only if Salesforce has
// not modified it after since[i]: the If-Unmodified-Since header of sObject
// Rows, checked by Salesforce as it writes. Each record is identified by
// its Id field. The results are in input order; err is set only when the
// call itself failed, and then nothing is known to be written.
func (c *Client) UpdateIfUnmodified(ctx context.Context, object string, records []map[string]any, since []time.Time) ([]ConditionalResult, error) {
	if err := checkObject(object); err != nil {
		return nil, fmt.Errorf("salesforce: conditional update: %w", err)
	}
	if len(records) != len(since) {
		return nil, fmt.Errorf("salesforce: conditional update %s: %d records but %d times", object, len(records), len(since))
	}
	subs := make([]Subrequest, len(records))
	for i, rec := range records {
		v, _ := lookupField(rec, "Id")
		id, _ := v.(string)
		if !validID(id) {
			return nil, fmt.Errorf("salesforce: conditional update %s: record %d has no valid Id", object, i)
		}
		body := make(map[string]any, len(rec))
		for k, v := range rec {
			if k != "Id" && k != "id" && k != "attributes" {
				body[k] = v
			}
		}
		subs[i] = Subrequest{Method: http.MethodPatch, URL: "sobjects/" + object + "/" + url.PathEscape(id),
			ReferenceID: fmt.Sprintf("r%d", i), Body: body,
			HTTPHeaders: map[string]string{"If-Unmodified-Since": since[i].UTC().Format(http.TimeFormat)}}
	}
	res, err := c.Composite(ctx, false, subs)
	if err != nil {
		return nil, err
	}
	if len(res) != len(subs) {
		return nil, fmt.Errorf("salesforce: conditional update %s: %d results for %d records", object, len(res), len(subs))
	}
	out := make([]ConditionalResult, len(res))
	for i, r := range res {
		switch {
		case r.HTTPStatusCode == http.StatusPreconditionFailed:
			out[i].Modified = true
		case r.HTTPStatusCode >= 400:
			out[i].Err = r.Err()
		}
	}
	return out, nil
}
