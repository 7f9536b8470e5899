package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
)

// autoAssignHeader decides whether Salesforce's active assignment rules run
// on a Lead, Case or Account save. Absent, REST API takes it as TRUE on
// updates too, so every update sends FALSE: a field synced from Intercom
// must never hand the record to another owner. Creations that want
// Salesforce's assignment say so in their own header.
const autoAssignHeader = "Sforce-Auto-Assign"

// MaxSubrequests is the most subrequests one Composite call takes.
const MaxSubrequests = 25

// MaxQuerySubrequests is the most of a Composite call's subrequests that
// may be queries or sObject Collections operations.
const MaxQuerySubrequests = 5

// Subrequest is one request inside a Composite call. Later subrequests can
// refer to earlier results as @{ReferenceID.field}.
type Subrequest struct {
	Method string `json:"method"`
	// URL is either a full path (/services/data/v62.0/sobjects/Lead) or a
	// path relative to the client's API version (sobjects/Lead).
	URL         string            `json:"url"`
	ReferenceID string            `json:"referenceId"` // letters, digits and _
	Body        any               `json:"body,omitempty"`
	HTTPHeaders map[string]string `json:"httpHeaders,omitempty"`
}

// SubResponse is the outcome of one subrequest.
type SubResponse struct {
	Body           json.RawMessage   `json:"body"`
	HTTPHeaders    map[string]string `json:"httpHeaders"`
	HTTPStatusCode int               `json:"httpStatusCode"`
	ReferenceID    string            `json:"referenceId"`
}

// Err returns the subrequest's error as an *APIError, or nil for a status
// below 400.
func (r SubResponse) Err() error {
	if r.HTTPStatusCode < 400 {
		return nil
	}
	return parseAPIError(r.HTTPStatusCode, r.Body)
}

// Composite runs up to 25 subrequests in one API call. With allOrNone, one
// failure rolls back all of them (each then reports an error). The call
// succeeds (err == nil) whenever Salesforce processed the request; check
// each SubResponse.Err.
func (c *Client) Composite(ctx context.Context, allOrNone bool, reqs []Subrequest) ([]SubResponse, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	if len(reqs) > MaxSubrequests {
		return nil, fmt.Errorf("salesforce: composite: %d subrequests, at most %d allowed", len(reqs), MaxSubrequests)
	}
	sub := make([]Subrequest, len(reqs))
	for i, r := range reqs {
		if !validName(r.ReferenceID) {
			return nil, fmt.Errorf("salesforce: composite: subrequest %d: invalid referenceId %q", i, r.ReferenceID)
		}
		if !strings.HasPrefix(r.URL, "/") {
			r.URL = c.dataPath(r.URL)
		}
		if r.Method == http.MethodPatch && r.HTTPHeaders[autoAssignHeader] == "" {
			h := maps.Clone(r.HTTPHeaders)
			if h == nil {
				h = map[string]string{}
			}
			h[autoAssignHeader] = "FALSE"
			r.HTTPHeaders = h
		}
		sub[i] = r
	}
	body := struct {
		AllOrNone        bool         `json:"allOrNone"`
		CompositeRequest []Subrequest `json:"compositeRequest"`
	}{allOrNone, sub}
	resp, err := c.do(ctx, http.MethodPost, c.dataPath("composite"), nil, body)
	if err != nil {
		return nil, fmt.Errorf("salesforce: composite: %w", err)
	}
	var out struct {
		CompositeResponse []SubResponse `json:"compositeResponse"`
	}
	if err := decode(resp, &out); err != nil {
		return nil, fmt.Errorf("salesforce: composite: %w", err)
	}
	return out.CompositeResponse, nil
}
