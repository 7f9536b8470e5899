// Package salesforce is a local Salesforce org that speaks the real REST and
// OAuth wire format: OAuth web-server, refresh and password flows, sObject
// CRUD and describe, SOQL query, sObject Collections, Composite and limits,
// plus a control surface under /__emulator/ for what Salesforce's UI or SOAP
// would do (lead conversion, schema changes, field security, faults).
// StartPubSub adds Salesforce's Pub/Sub API (gRPC) streaming Change Data
// Capture events of every committed write (cdc.go, pubsub.go).
//
// State lives in memory; a Server is safe for concurrent use and can run
// in-process behind httptest.NewServer or as `ferry emulate salesforce`.
package salesforce

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server.
type Options struct {
	Seed          string           // "demo" or "empty" (default "empty")
	ClientID      string           // connected app
	ClientSecret  string           // connected app secret
	Username      string           // login user's username (= its email)
	Password      string           // login user's password
	AutoApprove   bool             // authorize redirects at once, as the login user
	APIDailyLimit int              // default 15000
	Logger        *slog.Logger     // nil = discard
	Now           func() time.Time // nil = time.Now; lets tests control the clock
}

// Default credentials used when Options leaves them empty.
const (
	DefaultClientID      = "ferry-demo-client"
	DefaultClientSecret  = "ferry-demo-secret"
	DefaultUsername      = "admin@example.com"
	DefaultPassword      = "password"
	DefaultAPIDailyLimit = 15000
)

// Supported REST API versions.
const (
	minVersion = 46
	maxVersion = 67 // Summer '26; the issue asks for 46.0–62.0, clients such as go-salesforce default to 63.0
)

// Server is an emulated Salesforce org. It implements http.Handler.
type Server struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time
	mux  *http.ServeMux // every path
	api  *http.ServeMux // /services/data/{version}/…, after auth and counting

	// mu guards schema and data. Writers hold it for a whole operation
	// (a composite request included), which is what makes rollback simple.
	mu      sync.RWMutex
	schema  *schema
	tables  map[string]*table // lower-case object name
	orgID   string
	userID  string // the login user
	caseSeq int64
	// validations and ruleEntries are the org's validation rules and the
	// entries of its assignment rules (by AssignmentRule id).
	validations []ValidationRule
	ruleEntries map[string][]RuleEntry

	// authMu guards OAuth state, limits, faults and query cursors; it is
	// never held while taking mu.
	authMu     sync.Mutex
	codes      map[string]*authCode
	access     map[string]*session
	refresh    map[string]*grant
	grantSeq   int64
	apiUsed    int64
	apiEnabled bool
	faults     Faults
	cursors    map[string]*locatorState
	cursorSeq  int64

	apiCalls atomic.Int64

	// cdc is the Change Data Capture event bus; cdcOn says whether writes
	// record change events (from the first StartPubSub on).
	cdc    *cdcBus
	cdcOn  atomic.Bool
	pubsub *pubsubListener
}

// New builds a Server with the given options and seeds its data.
func New(opts Options) *Server {
	if opts.Seed == "" {
		opts.Seed = "empty"
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.Username == "" {
		opts.Username = DefaultUsername
	}
	if opts.Password == "" {
		opts.Password = DefaultPassword
	}
	if opts.APIDailyLimit <= 0 {
		opts.APIDailyLimit = DefaultAPIDailyLimit
	}
	s := &Server{
		opts:        opts,
		log:         opts.Logger,
		now:         opts.Now,
		schema:      newSchema(),
		tables:      map[string]*table{},
		codes:       map[string]*authCode{},
		access:      map[string]*session{},
		refresh:     map[string]*grant{},
		cursors:     map[string]*locatorState{},
		apiEnabled:  true,
		ruleEntries: map[string][]RuleEntry{},
		orgID:       id18("00DFy0000000Fry"),
		cdc:         newCDCBus(),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	for name, o := range s.schema.objects {
		s.tables[name] = newTable(o)
	}
	s.seedLoginUser()
	if opts.Seed == "demo" {
		s.seedDemo()
	}
	s.routes()
	return s
}

// OrgID returns the org's 18-character id.
func (s *Server) OrgID() string { return s.orgID }

// LoginUserID returns the id of the login user (the API user).
func (s *Server) LoginUserID() string { return s.userID }

// APICalls returns how many REST calls have been counted so far (those that
// count against the daily limit), independent of SetAPIRemaining.
func (s *Server) APICalls() int64 { return s.apiCalls.Load() }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /services/data", s.handleVersions)
	m.HandleFunc("GET /services/data/{$}", s.handleVersions)
	m.HandleFunc("/services/data/{version}/", s.handleAPI)
	m.HandleFunc("GET /services/oauth2/authorize", s.handleAuthorize)
	m.HandleFunc("POST /services/oauth2/authorize", s.handleAuthorizeForm)
	m.HandleFunc("POST /services/oauth2/token", s.handleToken)
	m.HandleFunc("POST /services/oauth2/revoke", s.handleRevoke)
	m.HandleFunc("GET /services/oauth2/revoke", s.handleRevoke)
	m.HandleFunc("GET /id/{org}/{user}", s.handleIdentity)
	m.HandleFunc("POST /id/{org}/{user}", s.handleIdentity)
	s.controlRoutes(m)
	s.mux = m

	a := http.NewServeMux()
	p := "/services/data/{version}"
	a.HandleFunc("GET "+p+"/{$}", s.handleResources)
	a.HandleFunc("GET "+p+"/sobjects", s.handleDescribeGlobal)
	a.HandleFunc("GET "+p+"/sobjects/{object}", s.handleObjectInfo)
	a.HandleFunc("POST "+p+"/sobjects/{object}", s.handleCreate)
	a.HandleFunc("GET "+p+"/sobjects/{object}/describe", s.handleDescribe)
	a.HandleFunc("GET "+p+"/sobjects/{object}/updated", s.handleUpdated)
	a.HandleFunc("GET "+p+"/sobjects/{object}/deleted", s.handleDeleted)
	a.HandleFunc("GET "+p+"/sobjects/{object}/{id}", s.handleGet)
	a.HandleFunc("PATCH "+p+"/sobjects/{object}/{id}", s.handleUpdate)
	a.HandleFunc("DELETE "+p+"/sobjects/{object}/{id}", s.handleDelete)
	a.HandleFunc("POST "+p+"/sobjects/{object}/{id}", s.handlePostID)
	a.HandleFunc("GET "+p+"/sobjects/{object}/{field}/{value}", s.handleGetByExternalID)
	a.HandleFunc("PATCH "+p+"/sobjects/{object}/{field}/{value}", s.handleUpsert)
	a.HandleFunc("POST "+p+"/sobjects/{object}/{field}/{value}", s.handleUpsert)
	a.HandleFunc("DELETE "+p+"/sobjects/{object}/{field}/{value}", s.handleDeleteByExternalID)
	a.HandleFunc("GET "+p+"/query", s.handleQuery)
	a.HandleFunc("GET "+p+"/queryAll", s.handleQueryAll)
	a.HandleFunc("GET "+p+"/query/{locator}", s.handleQueryMore)
	a.HandleFunc("GET "+p+"/queryAll/{locator}", s.handleQueryMore)
	a.HandleFunc("GET "+p+"/limits", s.handleLimits)
	a.HandleFunc("POST "+p+"/composite/sobjects", s.handleCollectionCreate)
	a.HandleFunc("PATCH "+p+"/composite/sobjects", s.handleCollectionUpdate)
	a.HandleFunc("DELETE "+p+"/composite/sobjects", s.handleCollectionDelete)
	a.HandleFunc("GET "+p+"/composite/sobjects/{object}", s.handleCollectionRetrieve)
	a.HandleFunc("POST "+p+"/composite/sobjects/{object}", s.handleCollectionRetrieve)
	a.HandleFunc("PATCH "+p+"/composite/sobjects/{object}/{field}", s.handleCollectionUpsert)
	a.HandleFunc("POST "+p+"/composite", s.handleComposite)
	a.HandleFunc("POST "+p+"/composite/batch", s.handleCompositeBatch)
	a.HandleFunc("POST "+p+"/composite/graph", s.handleCompositeGraph)
	a.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound())
	})
	s.api = a
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if requestTooLarge(w, r) {
		s.log.Debug("salesforce emulator: request too large", "method", r.Method, "path", r.URL.Path, "uri_bytes", len(r.RequestURI))
		return
	}
	if !s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.mux.ServeHTTP(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	start := time.Now()
	s.mux.ServeHTTP(sw, r)
	// The path only: query strings may carry tokens (GET …/revoke?token=).
	s.log.Debug("salesforce emulator: request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// baseURL is the scheme and host the request came in on, so the handler works
// behind any listener without knowing its address.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// parseVersion turns "v62.0" into 62, or false when unsupported.
func parseVersion(v string) (int, bool) {
	if !strings.HasPrefix(v, "v") || !strings.HasSuffix(v, ".0") {
		return 0, false
	}
	n, err := strconv.Atoi(v[1 : len(v)-2])
	if err != nil || n < minVersion || n > maxVersion {
		return 0, false
	}
	return n, true
}

// servedVersion checks the {version} of a /services/data/{version}/… request
// and resolves Salesforce's alias "latest" to the newest version, so
// handlers and the URLs they write see a number.
func servedVersion(r *http.Request) (*http.Request, bool) {
	const root = "/services/data/"
	seg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, root), "/")
	if seg != "latest" {
		_, ok := parseVersion(seg)
		return r, ok
	}
	r = r.Clone(r.Context())
	newest := fmt.Sprintf("%sv%d.0", root, maxVersion)
	r.URL.Path = strings.Replace(r.URL.Path, root+"latest", newest, 1)
	if r.URL.RawPath != "" {
		r.URL.RawPath = strings.Replace(r.URL.RawPath, root+"latest", newest, 1)
	}
	return r, true
}

func versionLabel(n int) string {
	i := n - 47
	if i < 0 {
		return "Summer '19"
	}
	return fmt.Sprintf("%s '%d", [3]string{"Winter", "Spring", "Summer"}[i%3], 20+i/3)
}

func (s *Server) handleVersions(w http.ResponseWriter, r *http.Request) {
	type version struct {
		Label   string `json:"label"`
		URL     string `json:"url"`
		Version string `json:"version"`
	}
	out := []version{}
	for n := minVersion; n <= maxVersion; n++ {
		out = append(out, version{Label: versionLabel(n), URL: fmt.Sprintf("/services/data/v%d.0", n), Version: fmt.Sprintf("%d.0", n)})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleAPI authenticates, counts and fault-injects every REST call, then
// hands it to the REST mux.
func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	r, ok := servedVersion(r)
	if !ok {
		writeError(w, errNotFound())
		return
	}
	sess := s.authenticate(r)
	s.authMu.Lock()
	if sess == nil {
		s.setLimitHeader(w)
		s.authMu.Unlock()
		writeError(w, &sfError{status: http.StatusUnauthorized, code: "INVALID_SESSION_ID", msg: "Session expired or invalid"})
		return
	}
	if !s.apiEnabled {
		s.setLimitHeader(w)
		s.authMu.Unlock()
		writeError(w, &sfError{status: http.StatusForbidden, code: "API_DISABLED_FOR_ORG", msg: "API is not enabled for this Organization or Partner"})
		return
	}
	if s.apiUsed >= int64(s.opts.APIDailyLimit) {
		s.setLimitHeader(w)
		s.authMu.Unlock()
		writeError(w, &sfError{status: http.StatusForbidden, code: "REQUEST_LIMIT_EXCEEDED", msg: "TotalRequests Limit exceeded."})
		return
	}
	s.apiUsed++
	s.apiCalls.Add(1)
	s.setLimitHeader(w)
	faults := s.faults
	s.authMu.Unlock()

	r = withCallInfo(r, sess.userID)
	if r.Method == http.MethodPost {
		if m := r.URL.Query().Get("_HttpMethod"); m != "" {
			r = r.Clone(r.Context())
			r.Method = strings.ToUpper(m)
		}
	}
	if err := s.injectFault(r, faults); err != nil {
		writeError(w, err)
		return
	}
	r, err := decodeContent(r)
	if err == nil {
		r, err = withAutoAssign(r)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	s.api.ServeHTTP(w, trimSlash(r))
}

// trimSlash drops a trailing slash below the version root, since Salesforce
// serves …/sobjects/ and …/sobjects alike and clients send both.
func trimSlash(r *http.Request) *http.Request {
	p := r.URL.Path
	if !strings.HasSuffix(p, "/") || strings.Count(p, "/") <= 4 {
		return r
	}
	r = r.Clone(r.Context())
	r.URL.Path = strings.TrimSuffix(p, "/")
	r.URL.RawPath = strings.TrimSuffix(r.URL.RawPath, "/")
	return r
}

// decodeContent undoes Content-Encoding: gzip or deflate on a request body,
// as Salesforce does.
func decodeContent(r *http.Request) (*http.Request, error) {
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	if enc == "" || enc == "identity" || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return r, nil
	}
	var body io.ReadCloser
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if errors.Is(err, io.EOF) { // an empty body, e.g. a GET
			return r, nil
		}
		if err != nil {
			return nil, errBadRequest("JSON_PARSER_ERROR", "The request body could not be decompressed: "+err.Error())
		}
		body = zr
	case "deflate": // HTTP's deflate is the zlib format
		zr, err := zlib.NewReader(r.Body)
		if err != nil {
			return nil, errBadRequest("JSON_PARSER_ERROR", "The request body could not be decompressed: "+err.Error())
		}
		body = zr
	default:
		return nil, &sfError{status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE", msg: "Content-Encoding " + enc + " is not supported"}
	}
	r = r.Clone(r.Context())
	r.Body = body
	r.Header.Del("Content-Encoding")
	r.ContentLength = -1
	return r, nil
}

// setLimitHeader writes Sforce-Limit-Info; callers hold authMu.
func (s *Server) setLimitHeader(w http.ResponseWriter) {
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", s.apiUsed, s.opts.APIDailyLimit))
}

func (s *Server) handleResources(w http.ResponseWriter, r *http.Request) {
	p := "/services/data/" + r.PathValue("version")
	out := map[string]string{}
	for _, k := range []string{"sobjects", "query", "queryAll", "limits", "composite"} {
		out[k] = p + "/" + k
	}
	writeJSON(w, http.StatusOK, out)
}

// sfError is an error in Salesforce's REST error layout.
type sfError struct {
	status int
	code   string
	msg    string
	fields []string // nil omits the key
}

func (e *sfError) Error() string { return e.code + ": " + e.msg }

func errNotFound() *sfError {
	return &sfError{status: http.StatusNotFound, code: "NOT_FOUND", msg: "The requested resource does not exist"}
}

func errBadRequest(code, msg string, fields ...string) *sfError {
	if fields == nil {
		fields = []string{}
	}
	return &sfError{status: http.StatusBadRequest, code: code, msg: msg, fields: fields}
}

// restError is one element of a REST error body.
type restError struct {
	Message   string    `json:"message"`
	ErrorCode string    `json:"errorCode"`
	Fields    *[]string `json:"fields,omitempty"`
}

// collError is one error of an sObject Collections result.
type collError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

func asSFError(err error) *sfError {
	if e, ok := err.(*sfError); ok {
		return e
	}
	return &sfError{status: http.StatusInternalServerError, code: "UNKNOWN_EXCEPTION", msg: "An unexpected error occurred: " + err.Error()}
}

func (e *sfError) restBody() []restError {
	re := restError{Message: e.msg, ErrorCode: e.code}
	if e.fields != nil {
		f := e.fields
		re.Fields = &f
	}
	return []restError{re}
}

func (e *sfError) collBody() []collError {
	f := e.fields
	if f == nil {
		f = []string{}
	}
	return []collError{{StatusCode: e.code, Message: e.msg, Fields: f}}
}

func writeError(w http.ResponseWriter, err error) {
	e := asSFError(err)
	writeJSON(w, e.status, e.restBody())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// marshalJSON encodes like json.Marshal but leaves <, > and & alone, as
// Salesforce does.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeRaw writes an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeBody reads a JSON request body into v, as Salesforce reports bad JSON.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return errBadRequest("JSON_PARSER_ERROR", "could not read the request body")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &sfError{status: http.StatusBadRequest, code: "JSON_PARSER_ERROR", msg: "The request body is not valid JSON: " + err.Error()}
	}
	return nil
}

// txn is one locked unit of work with an undo log, so a failed allOrNone
// request (or a failed composite) can be rolled back.
type txn struct {
	s     *Server
	undo  []func()
	write bool
	// autoAssign is the request's Sforce-Auto-Assign header ("" absent).
	autoAssign string
	// call is the REST call's user and client, for change events; changes
	// are the writes to publish as change events on commit.
	call    callInfo
	changes []change
}

type txnKey struct{}

func (t *txn) onUndo(f func()) { t.undo = append(t.undo, f) }

// rollbackTo undoes everything after mark.
func (t *txn) rollbackTo(mark int) {
	for i := len(t.undo) - 1; i >= mark; i-- {
		t.undo[i]()
	}
	t.undo = t.undo[:mark]
}

// newTxn starts a transaction for a request whose context is ctx, with its
// Sforce-Auto-Assign header and its caller for change events; the caller
// holds s.mu.
func (s *Server) newTxn(ctx context.Context, write bool) *txn {
	tx := &txn{s: s, write: write}
	tx.autoAssign, _ = ctx.Value(autoAssignKey{}).(string)
	tx.call, _ = ctx.Value(callInfoKey{}).(callInfo)
	return tx
}

// withTxn runs fn inside the request's transaction if it has one (composite
// subrequests), else under the lock. Writes are rolled back on error.
func (s *Server) withTxn(ctx context.Context, write bool, fn func(tx *txn) error) error {
	if tx, ok := ctx.Value(txnKey{}).(*txn); ok {
		mark := len(tx.undo)
		err := fn(tx)
		if err != nil {
			tx.rollbackTo(mark)
		}
		return err
	}
	if write {
		s.mu.Lock()
		defer s.mu.Unlock()
	} else {
		s.mu.RLock()
		defer s.mu.RUnlock()
	}
	tx := s.newTxn(ctx, write)
	err := fn(tx)
	if err != nil && write {
		tx.rollbackTo(0)
	}
	if err == nil && write {
		tx.commit()
	}
	return err
}
