package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
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
		r, err := c.subrequest(r)
		if err != nil {
			return nil, fmt.Errorf("salesforce: composite: subrequest %d: %w", i, err)
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

// subrequest checks a Composite or Composite Graph subrequest and completes
// it: a relative URL gets the client's API version, and an update says
// Sforce-Auto-Assign: FALSE unless it says otherwise (see autoAssignHeader).
// The outer request's own headers (Sforce-Call-Options among them) apply
// to every subrequest.
func (c *Client) subrequest(r Subrequest) (Subrequest, error) {
	if !validName(r.ReferenceID) {
		return r, fmt.Errorf("invalid referenceId %q", r.ReferenceID)
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
	return r, nil
}

// Composite Graph limits (Salesforce's "Composite Graph Limits").
const (
	// MaxGraphs is the most graphs one Composite Graph call takes.
	MaxGraphs = 75
	// MaxGraphNodes is the most nodes (subrequests) one Composite Graph
	// call takes, in one graph or in all its graphs together.
	MaxGraphNodes = 500
	// minGraphVersion: the Composite Graph resource exists from API 50.0.
	minGraphVersion = 50.0
)

// Graph is one graph of a Composite Graph call: its nodes are Composite
// subrequests, run in order and all or nothing.
type Graph struct {
	// ID names the graph in the response: unique in the call, beginning
	// with a letter or digit, under 40 characters, no period.
	ID    string
	Nodes []Subrequest
}

// GraphResult is the outcome of one graph.
type GraphResult struct {
	ID string
	// Successful: every node succeeded and was committed. Otherwise
	// nothing of the graph was written: the node that failed reports its
	// own error and the others PROCESSING_HALTED.
	Successful bool
	Nodes      []SubResponse // in the graph's node order
}

// CompositeGraph sends graphs in one Composite Graph call (API 50.0+),
// which counts as one API call: up to MaxGraphs graphs and MaxGraphNodes
// nodes in all. Each graph is all or nothing; graphs are independent of
// each other. The call succeeds (err == nil) whenever Salesforce processed
// the request; check each graph's Successful and its nodes.
func (c *Client) CompositeGraph(ctx context.Context, graphs []Graph) ([]GraphResult, error) {
	if len(graphs) == 0 {
		return nil, nil
	}
	if len(graphs) > MaxGraphs {
		return nil, fmt.Errorf("salesforce: composite graph: %d graphs, at most %d allowed", len(graphs), MaxGraphs)
	}
	if v, err := strconv.ParseFloat(c.version, 64); err == nil && v < minGraphVersion {
		return nil, fmt.Errorf("salesforce: composite graph: needs REST API version %.1f or later, the client uses %s", minGraphVersion, c.version)
	}
	type graph struct {
		GraphID          string       `json:"graphId"`
		CompositeRequest []Subrequest `json:"compositeRequest"`
	}
	in := make([]graph, len(graphs))
	nodes := 0
	for i, g := range graphs {
		nodes += len(g.Nodes)
		if nodes > MaxGraphNodes {
			return nil, fmt.Errorf("salesforce: composite graph: more than %d nodes", MaxGraphNodes)
		}
		in[i] = graph{GraphID: g.ID, CompositeRequest: make([]Subrequest, len(g.Nodes))}
		for j, n := range g.Nodes {
			n, err := c.subrequest(n)
			if err != nil {
				return nil, fmt.Errorf("salesforce: composite graph %s: node %d: %w", g.ID, j, err)
			}
			in[i].CompositeRequest[j] = n
		}
	}
	resp, err := c.do(ctx, http.MethodPost, c.dataPath("composite/graph"), nil, map[string]any{"graphs": in})
	if err != nil {
		return nil, fmt.Errorf("salesforce: composite graph: %w", err)
	}
	var out struct {
		Graphs []struct {
			GraphID       string `json:"graphId"`
			GraphResponse struct {
				CompositeResponse []SubResponse `json:"compositeResponse"`
			} `json:"graphResponse"`
			IsSuccessful bool `json:"isSuccessful"`
		} `json:"graphs"`
	}
	if err := decode(resp, &out); err != nil {
		return nil, fmt.Errorf("salesforce: composite graph: %w", err)
	}
	res := make([]GraphResult, len(out.Graphs))
	for i, g := range out.Graphs {
		res[i] = GraphResult{ID: g.GraphID, Successful: g.IsSuccessful, Nodes: g.GraphResponse.CompositeResponse}
	}
	return res, nil
}
