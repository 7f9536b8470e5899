package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
)

// maxSubrequests is the Composite resource's subrequest limit.
const maxSubrequests = 25

type compositeSub struct {
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	ReferenceID string            `json:"referenceId"`
	Body        json.RawMessage   `json:"body,omitempty"`
	HTTPHeaders map[string]string `json:"httpHeaders,omitempty"`
}

type compositeResult struct {
	Body           json.RawMessage   `json:"body"`
	HTTPHeaders    map[string]string `json:"httpHeaders"`
	HTTPStatusCode int               `json:"httpStatusCode"`
	ReferenceID    string            `json:"referenceId"`
}

var (
	refIDPattern  = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	refExpression = regexp.MustCompile(`@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[[0-9]+\])+)\}`)
	refStep       = regexp.MustCompile(`\.([A-Za-z0-9_]+)|\[([0-9]+)\]`)
)

func processingHalted(msg string) json.RawMessage {
	b, _ := json.Marshal([]restError{{ErrorCode: "PROCESSING_HALTED", Message: msg}})
	return b
}

const rolledBackMsg = "The transaction was rolled back since another operation in the same transaction failed."

// resolveRefs replaces @{ref.path} expressions with values from earlier
// subrequests' bodies; inJSON escapes the value for a JSON string. A reference
// that resolves to nothing gives Salesforce's message for it in problem.
func resolveRefs(text string, bodies map[string]any, inJSON bool) (out, problem string) {
	out = refExpression.ReplaceAllStringFunc(text, func(expr string) string {
		m := refExpression.FindStringSubmatch(expr)
		cur, ok := bodies[m[1]]
		if !ok {
			problem = fmt.Sprintf("Invalid reference specified. No value for %s found in %s. Provided referenceId ('%s') does not exist or failed", strings.TrimPrefix(m[2], "."), m[1], m[1])
			return expr
		}
		for _, step := range refStep.FindAllStringSubmatch(m[2], -1) {
			switch c := cur.(type) {
			case map[string]any:
				cur = c[step[1]]
			case []any:
				i, _ := strconv.Atoi(step[2])
				if step[2] == "" || i >= len(c) {
					cur = nil
				} else {
					cur = c[i]
				}
			default:
				cur = nil
			}
		}
		if cur == nil {
			problem = fmt.Sprintf("Invalid reference specified. No value for %s found in %s", strings.TrimPrefix(m[2], "."), m[1])
			return expr
		}
		var v string
		switch c := cur.(type) {
		case string:
			v = c
		case float64:
			v = strconv.FormatFloat(c, 'f', -1, 64)
		default:
			b, _ := json.Marshal(c)
			v = string(b)
		}
		if inJSON {
			b, _ := json.Marshal(v)
			v = string(b[1 : len(b)-1])
		}
		return v
	})
	return out, problem
}

func (s *Server) handleComposite(w http.ResponseWriter, r *http.Request) {
	if _, nested := r.Context().Value(txnKey{}).(*txn); nested {
		writeError(w, errBadRequest("INVALID_API_INPUT", "Composite requests cannot be nested"))
		return
	}
	var req struct {
		AllOrNone        bool           `json:"allOrNone"`
		CollateSubreqs   *bool          `json:"collateSubrequests"`
		CompositeRequest []compositeSub `json:"compositeRequest"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if len(req.CompositeRequest) == 0 {
		writeError(w, errBadRequest("INVALID_API_INPUT", "compositeRequest must have at least one subrequest"))
		return
	}
	if len(req.CompositeRequest) > maxSubrequests {
		writeError(w, errBadRequest("INVALID_API_INPUT", fmt.Sprintf("Limit Exceeded: The number of subrequests exceeded the limit of %d", maxSubrequests)))
		return
	}
	seen := map[string]bool{}
	for _, sub := range req.CompositeRequest {
		if !refIDPattern.MatchString(sub.ReferenceID) {
			writeError(w, errBadRequest("INVALID_API_INPUT", fmt.Sprintf("Invalid referenceId: %q. A referenceId can contain only alphanumeric characters and underscores.", sub.ReferenceID)))
			return
		}
		if seen[sub.ReferenceID] {
			writeError(w, errBadRequest("INVALID_API_INPUT", "Duplicate referenceId provided in the request: "+sub.ReferenceID))
			return
		}
		seen[sub.ReferenceID] = true
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.newTxn(r.Context(), true)
	ctx := context.WithValue(r.Context(), txnKey{}, tx)
	results := make([]compositeResult, len(req.CompositeRequest))
	bodies := map[string]any{}
	failedAt := -1
	for i, sub := range req.CompositeRequest {
		res := s.runSub(ctx, r, sub, bodies)
		results[i] = res
		if res.HTTPStatusCode >= 400 {
			if req.AllOrNone {
				failedAt = i
				break
			}
			continue
		}
		var parsed any
		if len(res.Body) > 0 && json.Unmarshal(res.Body, &parsed) == nil {
			bodies[sub.ReferenceID] = parsed
		}
	}
	if failedAt >= 0 {
		tx.rollbackTo(0)
		for i := range results {
			if i == failedAt {
				continue
			}
			results[i] = compositeResult{
				Body: processingHalted(rolledBackMsg), HTTPHeaders: map[string]string{},
				HTTPStatusCode: http.StatusBadRequest, ReferenceID: req.CompositeRequest[i].ReferenceID,
			}
		}
	}
	tx.commit()
	writeJSON(w, http.StatusOK, map[string]any{"compositeResponse": results})
}

// runSub executes one subrequest through the REST mux inside the composite's
// transaction.
func (s *Server) runSub(ctx context.Context, outer *http.Request, sub compositeSub, bodies map[string]any) compositeResult {
	res := compositeResult{HTTPHeaders: map[string]string{}, ReferenceID: sub.ReferenceID}
	fail := func(err error) compositeResult {
		e := asSFError(err)
		res.HTTPStatusCode = e.status
		res.Body, _ = json.Marshal(e.restBody())
		return res
	}
	u, problem := resolveRefs(sub.URL, bodies, false)
	body := ""
	if problem == "" && len(sub.Body) > 0 {
		body, problem = resolveRefs(string(sub.Body), bodies, true)
	}
	if problem != "" {
		res.HTTPStatusCode = http.StatusBadRequest
		res.Body = processingHalted(problem)
		return res
	}
	if !strings.HasPrefix(u, "/services/data/v") {
		return fail(errBadRequest("INVALID_API_INPUT", "The URL must begin with /services/data/vXX.X: "+u))
	}
	method := strings.ToUpper(sub.Method)
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete, http.MethodHead:
	default:
		return fail(errBadRequest("INVALID_API_INPUT", "Unsupported method: "+sub.Method))
	}
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return fail(errBadRequest("INVALID_API_INPUT", "Malformed URL: "+u))
	}
	req.Host = outer.Host
	req.TLS = outer.TLS
	req.Header.Set("Content-Type", "application/json")
	for k, v := range sub.HTTPHeaders {
		req.Header.Set(k, v)
	}
	// The version must be served; the outer mux checked only the outer URL.
	req, ok := servedVersion(req)
	if !ok {
		return fail(errNotFound())
	}
	// A subrequest's own Sforce-Auto-Assign header decides the assignment
	// rule of its saves.
	if req.Header.Get("Sforce-Auto-Assign") != "" {
		if req, err = withAutoAssign(req); err != nil {
			return fail(err)
		}
		if tx, ok := ctx.Value(txnKey{}).(*txn); ok {
			outerAssign := tx.autoAssign
			tx.autoAssign, _ = req.Context().Value(autoAssignKey{}).(string)
			defer func() { tx.autoAssign = outerAssign }()
		}
	}
	rec := httptest.NewRecorder()
	s.api.ServeHTTP(rec, trimSlash(req))
	res.HTTPStatusCode = rec.Code
	if loc := rec.Header().Get("Location"); loc != "" {
		res.HTTPHeaders["Location"] = loc
	}
	if b := rec.Body.Bytes(); len(b) > 0 {
		res.Body = b
	} else {
		res.Body = json.RawMessage("null")
	}
	return res
}

// handleCompositeBatch is POST …/composite/batch: up to 25 independent
// subrequests (URLs relative to /services/data/), no rollback, each counted
// against the daily limit.
func (s *Server) handleCompositeBatch(w http.ResponseWriter, r *http.Request) {
	if _, nested := r.Context().Value(txnKey{}).(*txn); nested {
		writeError(w, errBadRequest("INVALID_API_INPUT", "Batch requests cannot be nested"))
		return
	}
	var req struct {
		HaltOnError   bool `json:"haltOnError"`
		BatchRequests []struct {
			Method    string          `json:"method"`
			URL       string          `json:"url"`
			RichInput json.RawMessage `json:"richInput,omitempty"`
		} `json:"batchRequests"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	if len(req.BatchRequests) == 0 || len(req.BatchRequests) > maxSubrequests {
		writeError(w, errBadRequest("INVALID_API_INPUT", fmt.Sprintf("A batch must have between 1 and %d subrequests", maxSubrequests)))
		return
	}
	type result struct {
		StatusCode int             `json:"statusCode"`
		Result     json.RawMessage `json:"result"`
	}
	out := struct {
		HasErrors bool     `json:"hasErrors"`
		Results   []result `json:"results"`
	}{Results: make([]result, 0, len(req.BatchRequests))}
	halted := false
	for _, sub := range req.BatchRequests {
		if halted {
			out.Results = append(out.Results, result{StatusCode: http.StatusPreconditionFailed,
				Result: mustJSON([]restError{{ErrorCode: "BATCH_PROCESSING_HALTED", Message: "Batch processing halted per user request"}})})
			continue
		}
		res := s.runSub(r.Context(), r, compositeSub{Method: sub.Method, URL: "/services/data/" + strings.TrimPrefix(sub.URL, "/"), Body: sub.RichInput}, nil)
		if res.HTTPStatusCode >= 400 {
			out.HasErrors = true
			halted = req.HaltOnError
		}
		out.Results = append(out.Results, result{StatusCode: res.HTTPStatusCode, Result: res.Body})
	}
	if extra := int64(len(req.BatchRequests) - 1); extra > 0 {
		s.authMu.Lock()
		s.apiUsed += extra
		s.apiCalls.Add(extra)
		s.authMu.Unlock()
	}
	writeJSON(w, http.StatusOK, out)
}

func mustJSON(v any) json.RawMessage {
	b, _ := marshalJSON(v)
	return b
}
