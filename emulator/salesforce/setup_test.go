package salesforce_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/salesforce"
)

const (
	testClient = "test-client"
	testSecret = "test-secret"
	testUser   = "admin@example.com"
	testPass   = "s3cret-pass"
	v          = "/services/data/v62.0"
)

// clock is a controllable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is one emulator behind a real loopback HTTP server.
type bundle struct {
	t     *testing.T
	sf    *salesforce.Server
	srv   *httptest.Server
	clock *clock
	token string
}

type setupOpt func(*salesforce.Options)

func setup(t *testing.T, opts ...setupOpt) *bundle {
	t.Helper()
	c := &clock{t: time.Date(2026, 5, 20, 20, 49, 32, 0, time.UTC)}
	o := salesforce.Options{
		ClientID: testClient, ClientSecret: testSecret, Username: testUser, Password: testPass,
		AutoApprove: true, Now: c.Now,
	}
	for _, f := range opts {
		f(&o)
	}
	sf := salesforce.New(o)
	srv := httptest.NewServer(sf)
	t.Cleanup(srv.Close)
	b := &bundle{t: t, sf: sf, srv: srv, clock: c}
	b.token = b.passwordToken()
	return b
}

// noRedirect is an HTTP client that shows redirects instead of following.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// resp is a finished HTTP exchange.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) JSON(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.Body)
	}
	return v
}

func (r resp) Obj(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.JSON(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not an object: %s", r.Body)
	}
	return m
}

// ErrorCode returns errorCode of a REST error array body.
func (r resp) ErrorCode(t *testing.T) string {
	t.Helper()
	arr, ok := r.JSON(t).([]any)
	if !ok || len(arr) == 0 {
		t.Fatalf("body is not an error array: %s", r.Body)
	}
	code, _ := arr[0].(map[string]any)["errorCode"].(string)
	return code
}

func (b *bundle) send(req *http.Request) resp {
	b.t.Helper()
	res, err := noRedirect.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: body}
}

// do sends a REST call with the bundle's token; body is JSON-encoded unless
// it is a string.
func (b *bundle) do(method, path string, body any) resp {
	b.t.Helper()
	return b.doAs(b.token, method, path, body)
}

func (b *bundle) doAs(token, method, path string, body any) resp {
	b.t.Helper()
	return b.doHeader(token, method, path, body, nil)
}

// doHeader is doAs with extra request headers.
func (b *bundle) doHeader(token, method, path string, body any, header map[string]string) resp {
	b.t.Helper()
	var rd io.Reader
	switch x := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(x)
	default:
		buf, err := json.Marshal(x)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return b.send(req)
}

// control calls the /__emulator/ surface with HTTP Basic auth.
func (b *bundle) control(method, path string, body any) resp {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		buf, _ := json.Marshal(body)
		rd = bytes.NewReader(buf)
	}
	req, _ := http.NewRequest(method, b.srv.URL+path, rd)
	req.SetBasicAuth(testUser, testPass)
	return b.send(req)
}

// form posts a form to an OAuth endpoint.
func (b *bundle) form(path string, vals url.Values) resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

func (b *bundle) passwordToken() string {
	b.t.Helper()
	r := b.form("/services/oauth2/token", url.Values{
		"grant_type": {"password"}, "client_id": {testClient}, "client_secret": {testSecret},
		"username": {testUser}, "password": {testPass},
	})
	if r.Status != http.StatusOK {
		b.t.Fatalf("password grant: %d %s", r.Status, r.Body)
	}
	return r.Obj(b.t)["access_token"].(string)
}

// create makes a record over REST and returns its id.
func (b *bundle) create(object string, fields map[string]any) string {
	b.t.Helper()
	r := b.do(http.MethodPost, v+"/sobjects/"+object+"/", fields)
	if r.Status != http.StatusCreated {
		b.t.Fatalf("create %s: %d %s", object, r.Status, r.Body)
	}
	return r.Obj(b.t)["id"].(string)
}

// get fetches a record over REST.
func (b *bundle) get(object, id string) map[string]any {
	b.t.Helper()
	r := b.do(http.MethodGet, v+"/sobjects/"+object+"/"+id, nil)
	if r.Status != http.StatusOK {
		b.t.Fatalf("get %s/%s: %d %s", object, id, r.Status, r.Body)
	}
	return r.Obj(b.t)
}

// query runs SOQL over REST.
func (b *bundle) query(soql string) resp {
	b.t.Helper()
	return b.do(http.MethodGet, v+"/query?q="+url.QueryEscape(soql), nil)
}
