package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Composite Graph limits, from Salesforce's "Composite Graph Limits".
const (
	maxGraphs         = 75  // graphs in one request
	maxGraphNodes     = 500 // nodes in one graph, and in one request
	maxGraphDepth     = 15  // longest chain of @{ref} references, counted in nodes
	maxGraphNodeKinds = 15  // different nodes: API version, method or object type
	// maxGraphFailures: once more graphs than this have failed, the
	// remaining graphs of the request are not processed.
	maxGraphFailures = 14
	// minGraphVersion: the resource exists from API 50.0 on.
	minGraphVersion = 50
)

var (
	// graphNodeURL is the only kind of URL a graph node may use: sObject
	// basic information (POST), sObject rows (GET, PATCH, DELETE) and
	// sObject rows by external ID (GET, PATCH, POST, DELETE).
	graphNodeURL = regexp.MustCompile(`^/services/data/(v[0-9]+\.0)/sobjects/([A-Za-z0-9_]+)((?:/[^/?]+){0,2})/?(?:\?.*)?$`)
	graphIDChars = regexp.MustCompile(`^[A-Za-z0-9][^.]*$`)
)

// graphHaltedMsg is the PROCESSING_HALTED message of a graph not run
// because too many graphs failed before it; Salesforce documents the
// status but not its wording.
const graphHaltedMsg = "The number of graph failures exceeded the limit of 14; this graph was not processed."

type graphRequest struct {
	GraphID          string         `json:"graphId"`
	CompositeRequest []compositeSub `json:"compositeRequest"`
}

type graphResult struct {
	GraphID       string `json:"graphId"`
	GraphResponse struct {
		CompositeResponse []compositeResult `json:"compositeResponse"`
	} `json:"graphResponse"`
	IsSuccessful bool `json:"isSuccessful"`
}

// handleCompositeGraph is POST …/composite/graph (API 50.0+): graphs of
// composite subrequests ("nodes"), each graph all or nothing and
// independent of the others, the whole request one API call. A node runs
// exactly as the same request alone would (its httpHeaders included, so an
// If-Unmodified-Since PATCH is refused with 412 as sObject Rows refuses it);
// a node that fails rolls back the nodes of its graph run before it (their
// records unchanged, no change events) and the rest of the graph is not
// run: every other node of the graph reports PROCESSING_HALTED.
func (s *Server) handleCompositeGraph(w http.ResponseWriter, r *http.Request) {
	if n, _ := parseVersion(r.PathValue("version")); n < minGraphVersion {
		writeError(w, errNotFound())
		return
	}
	if _, nested := r.Context().Value(txnKey{}).(*txn); nested {
		writeError(w, errBadRequest("INVALID_API_INPUT", "Composite requests cannot be nested"))
		return
	}
	var req struct {
		Graphs []graphRequest `json:"graphs"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := checkGraphs(req.Graphs); err != nil {
		writeError(w, err)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.newTxn(r.Context(), true)
	ctx := context.WithValue(r.Context(), txnKey{}, tx)
	out := make([]graphResult, len(req.Graphs))
	failures := 0
	for gi, g := range req.Graphs {
		res := &out[gi]
		res.GraphID = g.GraphID
		if failures > maxGraphFailures {
			res.GraphResponse.CompositeResponse = haltedNodes(g.CompositeRequest, -1, graphHaltedMsg)
			continue
		}
		res.GraphResponse.CompositeResponse, res.IsSuccessful = s.runGraph(ctx, r, tx, g)
		if !res.IsSuccessful {
			failures++
		}
	}
	tx.commit()
	writeJSON(w, http.StatusOK, map[string]any{"graphs": out})
}

// runGraph runs one graph's nodes in order inside tx; at the first failing
// node it undoes the graph's writes and reports the other nodes halted.
func (s *Server) runGraph(ctx context.Context, outer *http.Request, tx *txn, g graphRequest) ([]compositeResult, bool) {
	mark := len(tx.undo)
	bodies := map[string]any{}
	results := make([]compositeResult, 0, len(g.CompositeRequest))
	for i, node := range g.CompositeRequest {
		res := s.runSub(ctx, outer, node, bodies)
		if res.HTTPStatusCode >= 400 {
			tx.rollbackTo(mark)
			halted := haltedNodes(g.CompositeRequest, i, rolledBackMsg)
			halted[i] = res
			return halted, false
		}
		results = append(results, res)
		var parsed any
		if len(res.Body) > 0 && json.Unmarshal(res.Body, &parsed) == nil {
			bodies[node.ReferenceID] = parsed
		}
	}
	return results, true
}

// haltedNodes reports every node but skip (-1: none) as PROCESSING_HALTED.
func haltedNodes(nodes []compositeSub, skip int, msg string) []compositeResult {
	out := make([]compositeResult, len(nodes))
	for i, n := range nodes {
		if i == skip {
			continue
		}
		out[i] = compositeResult{Body: processingHalted(msg), HTTPHeaders: map[string]string{},
			HTTPStatusCode: http.StatusBadRequest, ReferenceID: n.ReferenceID}
	}
	return out
}

// checkGraphs validates a request against the documented limits before any
// node runs; a request over a limit is refused whole. Salesforce documents
// the limits but not its messages for them; these say which limit.
func checkGraphs(graphs []graphRequest) error {
	bad := func(format string, a ...any) error {
		return errBadRequest("INVALID_API_INPUT", fmt.Sprintf(format, a...))
	}
	switch {
	case len(graphs) == 0:
		return bad("graphs must have at least one graph")
	case len(graphs) > maxGraphs:
		return bad("Limit Exceeded: The number of graphs exceeded the limit of %d", maxGraphs)
	}
	ids := map[string]bool{}
	kinds := map[string]bool{}
	total := 0
	for _, g := range graphs {
		if len(g.GraphID) >= 40 || !graphIDChars.MatchString(g.GraphID) {
			return bad("Invalid graphId: %q. A graphId must begin with an alphanumeric character, be shorter than 40 characters and contain no period.", g.GraphID)
		}
		if ids[g.GraphID] {
			return bad("Duplicate graphId provided in the request: %s", g.GraphID)
		}
		ids[g.GraphID] = true
		switch {
		case len(g.CompositeRequest) == 0:
			return bad("Graph %s must have at least one node", g.GraphID)
		case len(g.CompositeRequest) > maxGraphNodes:
			return bad("Limit Exceeded: The number of nodes in graph %s exceeded the limit of %d", g.GraphID, maxGraphNodes)
		}
		total += len(g.CompositeRequest)
		if total > maxGraphNodes {
			return bad("Limit Exceeded: The number of nodes in the request exceeded the limit of %d", maxGraphNodes)
		}
		depth := map[string]int{}
		for _, n := range g.CompositeRequest {
			if !refIDPattern.MatchString(n.ReferenceID) {
				return bad("Invalid referenceId: %q. A referenceId can contain only alphanumeric characters and underscores.", n.ReferenceID)
			}
			if _, dup := depth[n.ReferenceID]; dup {
				return bad("Duplicate referenceId provided in graph %s: %s", g.GraphID, n.ReferenceID)
			}
			kind, err := graphNodeKind(n)
			if err != nil {
				return err
			}
			kinds[kind] = true
			if len(kinds) > maxGraphNodeKinds {
				return bad("Limit Exceeded: The number of different nodes exceeded the limit of %d", maxGraphNodeKinds)
			}
			d := 1
			for _, m := range refExpression.FindAllStringSubmatch(n.URL+string(n.Body), -1) {
				d = max(d, depth[m[1]]+1)
			}
			if d > maxGraphDepth {
				return bad("Limit Exceeded: The depth of graph %s exceeded the limit of %d", g.GraphID, maxGraphDepth)
			}
			depth[n.ReferenceID] = d
		}
	}
	return nil
}

// graphNodeKind checks a node's method and URL against what graphs support
// and returns what makes nodes "different" for the limit: API version,
// method and object type.
func graphNodeKind(n compositeSub) (string, error) {
	m := graphNodeURL.FindStringSubmatch(n.URL)
	method := strings.ToUpper(n.Method)
	allowed := ""
	if m != nil {
		allowed = [3]string{"POST", "GET PATCH DELETE", "GET PATCH POST DELETE"}[strings.Count(m[3], "/")]
	}
	if m == nil || !strings.Contains(" "+allowed+" ", " "+method+" ") {
		return "", errBadRequest("INVALID_API_INPUT", fmt.Sprintf("The %s %s node %s is not supported in a composite graph: "+
			"nodes must use sObject, sObject rows or sObject rows by external ID resources", n.Method, n.URL, n.ReferenceID))
	}
	return m[1] + " " + method + " " + strings.ToLower(m[2]), nil
}
