package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ClientOptions configures a Client. All fields are optional.
type ClientOptions struct {
	APIVersion string       // default DefaultAPIVersion
	HTTPClient *http.Client // default http.DefaultClient; set a Timeout
	Logger     *slog.Logger // default: discard
	// ClientName is sent as Sforce-Call-Options: client=…; Salesforce
	// records it in change events' changeOrigin, which lets ferry recognise
	// its own writes when they come back through change data capture.
	ClientName string
	// OnCall is called after every REST request (including the one refused
	// before a token refresh), e.g. to count API calls per day and per
	// purpose, which the caller can carry in ctx.
	OnCall func(ctx context.Context, call Call)
	// Retries bounds how often a GET, PATCH or DELETE is tried again after
	// a 5xx or a broken connection; default 2, negative for none. POSTs
	// (creates) are never repeated. Each retry is one more API call.
	Retries int
}

// Call describes one finished REST request, for OnCall.
type Call struct {
	Method     string
	Path       string // URL path without the query string (it may hold SOQL with personal data)
	StatusCode int    // 0 if no response arrived
	Duration   time.Duration
	Used, Max  int   // from Sforce-Limit-Info; 0, 0 when absent
	Err        error // transport error, nil for any HTTP response
}

// Client calls the Salesforce REST API of one org. It is safe for
// concurrent use.
type Client struct {
	src     TokenSource
	version string
	hc      *http.Client
	log     *slog.Logger
	onCall  func(context.Context, Call)
	callOpt string // Sforce-Call-Options value, or ""
	retries int    // see ClientOptions.Retries

	usageMu   sync.Mutex
	usageUsed int
	usageMax  int

	describeMu sync.Mutex
	describes  map[string]cachedDescribe
}

// NewClient returns a Client that takes its token from src.
func NewClient(src TokenSource, opts ClientOptions) *Client {
	c := &Client{
		src:       src,
		version:   strings.TrimPrefix(opts.APIVersion, "v"),
		hc:        opts.HTTPClient,
		log:       opts.Logger,
		onCall:    opts.OnCall,
		retries:   opts.Retries,
		describes: make(map[string]cachedDescribe),
	}
	if c.retries == 0 {
		c.retries = 2
	}
	if opts.ClientName != "" {
		c.callOpt = "client=" + opts.ClientName
	}
	if c.version == "" {
		c.version = DefaultAPIVersion
	}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// APIVersion returns the REST API version in use, e.g. "62.0".
func (c *Client) APIVersion() string { return c.version }

// Usage returns the org's API usage from the latest Sforce-Limit-Info
// header: requests used in the last 24 hours and the daily maximum.
// Both are 0 before the first call.
func (c *Client) Usage() (used, max int) {
	c.usageMu.Lock()
	defer c.usageMu.Unlock()
	return c.usageUsed, c.usageMax
}

// response is a finished REST request with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds what one response may hold; a 2,000-record query page is a
// few megabytes.
const maxBody = 256 << 20

// dataPath returns the path of a REST resource under /services/data/vXX.X.
func (c *Client) dataPath(resource string) string {
	return "/services/data/v" + c.version + "/" + strings.TrimPrefix(resource, "/")
}

// do sends one request and returns any response below 400; errors come back
// as *APIError. target is a path under the instance URL (starting with /) or
// an absolute URL. On 401 INVALID_SESSION_ID it refreshes the token once and
// retries once.
func (c *Client) do(ctx context.Context, method, target string, query url.Values, in any) (*response, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
	}
	tok, err := c.src.Token(ctx)
	if err != nil {
		return nil, err
	}
	refreshed, retried := false, 0
	for {
		resp, err := c.send(ctx, tok, method, target, query, body)
		if err != nil {
			if ctx.Err() == nil && c.retryServerError(ctx, method, &retried) {
				continue
			}
			return nil, err
		}
		if resp.status < 400 {
			return resp, nil
		}
		apiErr := parseAPIError(resp.status, resp.body)
		if resp.status >= 500 && c.retryServerError(ctx, method, &retried) {
			continue
		}
		if !refreshed && refreshable(apiErr) {
			refreshed = true
			c.log.InfoContext(ctx, "salesforce: session expired, refreshing token")
			fresh, err := c.src.Refresh(ctx, tok)
			if err != nil {
				// Keep both causes: the 401 for errors.As(*APIError), the
				// refresh failure for errors.Is(ErrTokenRevoked).
				return nil, fmt.Errorf("%w; refresh failed: %w", apiErr, err)
			}
			tok = fresh
			continue
		}
		return nil, apiErr
	}
}

// retryServerError decides whether a request that failed with a 5xx or a
// broken connection is sent again, and waits 250 ms, 500 ms… before it is.
// Only idempotent methods are: a repeated PATCH writes the same values, a
// repeated POST could create a second record.
func (c *Client) retryServerError(ctx context.Context, method string, retried *int) bool {
	switch method {
	case http.MethodGet, http.MethodPatch, http.MethodDelete:
	default:
		return false
	}
	if *retried >= c.retries {
		return false
	}
	*retried++
	t := time.NewTimer(time.Duration(250<<(*retried-1)) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// refreshable reports an answer that a new access token can cure: a REST
// 401 INVALID_SESSION_ID, or the identity URL's 403 Bad_OAuth_Token. "This
// session is not valid for use with the REST API" means a token without the
// api scope, which a refresh keeps, so it is not retried.
func refreshable(e *APIError) bool {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return e.Code == CodeInvalidSessionID && !strings.Contains(e.Message, "not valid for use with the REST API")
	case http.StatusForbidden:
		return e.Code == "" && e.Message == "Bad_OAuth_Token"
	}
	return false
}

func (c *Client) send(ctx context.Context, tok *Token, method, target string, query url.Values, body []byte) (*response, error) {
	if tok == nil || tok.AccessToken == "" || tok.InstanceURL == "" {
		return nil, errors.New("token has no access token or instance URL")
	}
	u := target
	if !strings.HasPrefix(target, "https://") && !strings.HasPrefix(target, "http://") {
		u = tok.InstanceURL + target
	}
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, pathOf(target), err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.callOpt != "" {
		req.Header.Set("Sforce-Call-Options", c.callOpt)
	}
	if method == http.MethodPatch {
		req.Header.Set(autoAssignHeader, "FALSE")
	}

	start := time.Now()
	httpResp, err := c.hc.Do(req)
	call := Call{Method: method, Path: pathOf(target), Duration: time.Since(start)}
	if err != nil {
		// Drop url.Error's URL: the query string may hold SOQL with
		// personal data; the path is enough to debug.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		call.Err = err
		c.finish(ctx, call)
		return nil, fmt.Errorf("%s %s: %w", method, call.Path, err)
	}
	defer httpResp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(httpResp.Body, maxBody))
	call.Duration = time.Since(start)
	call.StatusCode = httpResp.StatusCode
	if used, max, ok := parseLimitInfo(httpResp.Header.Get("Sforce-Limit-Info")); ok {
		call.Used, call.Max = used, max
		c.usageMu.Lock()
		c.usageUsed, c.usageMax = used, max
		c.usageMu.Unlock()
	}
	if err != nil {
		call.Err = err
		c.finish(ctx, call)
		return nil, fmt.Errorf("%s %s: read response: %w", method, call.Path, err)
	}
	c.finish(ctx, call)
	return &response{status: httpResp.StatusCode, header: httpResp.Header, body: data}, nil
}

func (c *Client) finish(ctx context.Context, call Call) {
	c.log.DebugContext(ctx, "salesforce call",
		slog.String("method", call.Method),
		slog.String("path", call.Path),
		slog.Int("status", call.StatusCode),
		slog.Int64("duration_ms", call.Duration.Milliseconds()),
		slog.Int("api_used", call.Used),
		slog.Int("api_max", call.Max),
	)
	if c.onCall != nil {
		c.onCall(ctx, call)
	}
}

// pathOf returns the path of target, which may be an absolute URL.
func pathOf(target string) string {
	if u, err := url.Parse(target); err == nil && u.Path != "" {
		return u.Path
	}
	return target
}

// parseLimitInfo reads "api-usage=18/5000" from a Sforce-Limit-Info header,
// which may carry other entries (per-app-api-usage, api-bursts).
func parseLimitInfo(h string) (used, max int, ok bool) {
	for part := range strings.SplitSeq(h, ";") {
		part = strings.TrimSpace(part)
		rest, found := strings.CutPrefix(part, "api-usage=")
		if !found {
			continue
		}
		u, m, found := strings.Cut(rest, "/")
		if !found {
			return 0, 0, false
		}
		used, err1 := strconv.Atoi(strings.TrimSpace(u))
		max, err2 := strconv.Atoi(strings.TrimSpace(m))
		if err1 != nil || err2 != nil {
			return 0, 0, false
		}
		return used, max, true
	}
	return 0, 0, false
}

// decode unmarshals a response body, naming the operation on failure.
func decode(resp *response, out any) error {
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}
