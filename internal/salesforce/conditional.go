package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// ConditionalUpdate is one record's update on condition: Salesforce writes
// it only if it has not modified the record after Since.
type ConditionalUpdate struct {
	Object string
	// Record is the field values to write, by name, with the record's Id.
	Record map[string]any
	Since  time.Time
}

// ConditionalResult is the outcome of one record's conditional update.
// At most one of its fields is set; none means written.
type ConditionalResult struct {
	// Modified: Salesforce modified the record after the update's time
	// and refused it (412 Precondition Failed); nothing was written.
	Modified bool
	// RolledBack: another update of the same graph failed, so this one
	// was rolled back or not run; nothing was written and it can be sent
	// again as it is.
	RolledBack bool
	// Err is the record's own error (an *APIError).
	Err error
}

// UpdateIfUnmodified updates records in one Composite Graph call (one API
// call), each only if Salesforce has not modified it after its Since: the
// If-Unmodified-Since header of sObject Rows, checked by Salesforce as it
// writes, so no change can slip in between the check and the write. Graph
// nodes are Composite subrequests, which take any header their resource
// takes, so the condition is the same as on a single-record PATCH.
//
// graphs groups the updates: each group is one graph, written all or
// nothing, and groups are independent. Up to salesforce.MaxGraphs groups
// and MaxGraphNodes updates in all. The results have the same shape as
// graphs; err is set only when the call itself failed, and then nothing
// is known to be written.
func (c *Client) UpdateIfUnmodified(ctx context.Context, graphs [][]ConditionalUpdate) ([][]ConditionalResult, error) {
	in := make([]Graph, len(graphs))
	for i, g := range graphs {
		in[i] = Graph{ID: fmt.Sprintf("g%d", i), Nodes: make([]Subrequest, len(g))}
		for j, u := range g {
			node, err := conditionalNode(u, fmt.Sprintf("r%d", j))
			if err != nil {
				return nil, fmt.Errorf("salesforce: conditional update: graph %d: %w", i, err)
			}
			in[i].Nodes[j] = node
		}
	}
	res, err := c.CompositeGraph(ctx, in)
	if err != nil {
		return nil, err
	}
	if len(res) != len(graphs) {
		return nil, fmt.Errorf("salesforce: conditional update: %d graph results for %d graphs", len(res), len(graphs))
	}
	out := make([][]ConditionalResult, len(graphs))
	for i, g := range res {
		if len(g.Nodes) != len(graphs[i]) {
			return nil, fmt.Errorf("salesforce: conditional update: graph %d: %d results for %d records", i, len(g.Nodes), len(graphs[i]))
		}
		out[i] = make([]ConditionalResult, len(g.Nodes))
		for j, n := range g.Nodes {
			r := &out[i][j]
			switch {
			case n.HTTPStatusCode == http.StatusPreconditionFailed:
				r.Modified = true
			case n.HTTPStatusCode >= 400 && parseAPIError(n.HTTPStatusCode, n.Body).Code == codeProcessingHalted:
				r.RolledBack = true
			case n.HTTPStatusCode >= 400:
				r.Err = n.Err()
			case !g.Successful:
				// A node that succeeded in a graph that did not: its
				// write was undone with the graph's.
				r.RolledBack = true
			}
		}
	}
	return out, nil
}

// codeProcessingHalted is a graph node's error when another node of its
// graph failed (or the call stopped running graphs): it was rolled back or
// not run.
const codeProcessingHalted = "PROCESSING_HALTED"

// conditionalNode is the sObject Rows PATCH of one conditional update.
func conditionalNode(u ConditionalUpdate, ref string) (Subrequest, error) {
	if err := checkObject(u.Object); err != nil {
		return Subrequest{}, err
	}
	v, _ := lookupField(u.Record, "Id")
	id, _ := v.(string)
	if !validID(id) {
		return Subrequest{}, fmt.Errorf("%s record has no valid Id", u.Object)
	}
	if u.Since.IsZero() {
		return Subrequest{}, fmt.Errorf("%s %s: no time for the condition", u.Object, id)
	}
	body := make(map[string]any, len(u.Record))
	for k, v := range u.Record {
		if k != "Id" && k != "id" && k != "attributes" {
			body[k] = v
		}
	}
	return Subrequest{Method: http.MethodPatch, URL: "sobjects/" + u.Object + "/" + url.PathEscape(id),
		ReferenceID: ref, Body: body,
		HTTPHeaders: map[string]string{"If-Unmodified-Since": u.Since.UTC().Format(http.TimeFormat)}}, nil
}
