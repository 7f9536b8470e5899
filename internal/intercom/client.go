package intercom

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
	"time"
)

// Base URLs of Intercom's regional API hosts.
const (
	// BaseURLUS is the default (US) region.
	BaseURLUS = "https://api.intercom.io"
	// BaseURLEU is the European region.
	BaseURLEU = "https://api.eu.intercom.io"
	// BaseURLAU is the Australian region.
	BaseURLAU = "https://api.au.intercom.io"
	// DefaultVersion is the Intercom-Version ferry is written against.
	DefaultVersion = "2.11"
	// DefaultAuthorizeURL is where an admin approves ferry's OAuth app.
	DefaultAuthorizeURL = "https://app.intercom.com/oauth"
)

// Config configures a Client. Only Token is needed for normal calls;
// ClientID and ClientSecret only for ExchangeCode.
type Config struct {
	// BaseURL is the API host, default BaseURLUS. Set BaseURLEU, BaseURLAU
	// or an emulator's URL to talk elsewhere.
	BaseURL string
	// Token is the access token (private app or OAuth). Never logged.
	Token string
	// Version is sent as Intercom-Version, default DefaultVersion.
	Version string
	// HTTPClient performs requests; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger receives debug and warning logs; default discards.
	Logger *slog.Logger

	// ClientID and ClientSecret identify ferry's OAuth app (ExchangeCode).
	ClientID     string
	ClientSecret string

	// MaxRetries bounds how many times one call is retried after a 429 (and,
	// for GET, PUT and DELETE, after a 5xx or a broken connection),
	// default 3. Negative disables retries.
	MaxRetries int
	// MaxRateLimitWait bounds a single wait for the rate-limit window to
	// reset, default 20 s (Intercom's windows are 10 s long).
	MaxRateLimitWait time.Duration
	// SlowDownBelow is the fraction of X-RateLimit-Limit under which the
	// client starts spacing requests so the window is not exceeded,
	// default 0.2.
	SlowDownBelow float64

	// OnCall, if set, is called after every HTTP exchange, for metrics.
	OnCall func(CallInfo)
	// Now returns the current time; default time.Now. Rate-limit resets
	// are absolute Unix times, so tests may want to control the clock.
	Now func() time.Time
}

// CallInfo describes one HTTP exchange with Intercom, given to
// Config.OnCall.
type CallInfo struct {
	// Method is the HTTP method.
	Method string
	// Route is the path template, e.g. "/contacts/{id}", safe as a metric
	// label (no ids).
	Route string
	// Path is the actual request path.
	Path string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Duration is the time the exchange took.
	Duration time.Duration
	// Remaining is X-RateLimit-Remaining, -1 when absent.
	Remaining int
	// Attempt counts from 1; above 1 means a retry after a 429.
	Attempt int
}

// Client calls the Intercom REST API. It is safe for concurrent use; use
// one Client per connected workspace so rate limits are tracked per token.
type Client struct {
	baseURL  string
	cfg      Config
	hc       *http.Client
	log      *slog.Logger
	limiter  *limiter
	maxRetry int
}

// BaseURL is the API host the client talks to (a conversation's link in
// the inbox is on the same region's app host).
func (c *Client) BaseURL() string { return c.baseURL }

// New returns a Client for cfg, filling in defaults.
func New(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = BaseURLUS
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if cfg.MaxRateLimitWait <= 0 {
		cfg.MaxRateLimitWait = 20 * time.Second
	}
	if cfg.SlowDownBelow <= 0 {
		cfg.SlowDownBelow = 0.2
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{
		baseURL:  strings.TrimRight(cfg.BaseURL, "/"),
		cfg:      cfg,
		hc:       cfg.HTTPClient,
		log:      cfg.Logger,
		limiter:  newLimiter(cfg.Now, cfg.SlowDownBelow),
		maxRetry: max(cfg.MaxRetries, 0),
	}
}

// RateLimit returns the last rate-limit state Intercom reported.
func (c *Client) RateLimit() RateLimitState { return c.limiter.state() }

// request is one API call before it is sent.
type request struct {
	method string
	route  string // path template for metrics and errors
	path   string
	query  url.Values
	body   any // JSON-encoded when non-nil
	form   url.Values
	auth   bool // send the bearer token (all but the OAuth exchange)
}

// callFor is call for an answer decoded into a new T.
func callFor[T any](ctx context.Context, c *Client, req request) (*T, error) {
	var out T
	if err := c.call(ctx, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// call performs req and decodes a 2xx JSON body into out (nil to discard).
// It waits for the rate limiter, retries 429s up to MaxRetries times
// (honouring X-RateLimit-Reset) and maps error bodies to *APIError.
func (c *Client) call(ctx context.Context, req request, out any) error {
	var payload []byte
	contentType := ""
	switch {
	case req.body != nil:
		b, err := json.Marshal(req.body)
		if err != nil {
			return fmt.Errorf("intercom: %s %s: encode body: %w", req.method, req.route, err)
		}
		payload, contentType = b, "application/json"
	case req.form != nil:
		payload, contentType = []byte(req.form.Encode()), "application/x-www-form-urlencoded"
	}
	u := c.baseURL + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	for attempt := 1; ; attempt++ {
		if err := c.limiter.wait(ctx); err != nil {
			return fmt.Errorf("intercom: %s %s: waiting for rate limit: %w", req.method, req.route, err)
		}
		status, hdr, body, err := c.send(ctx, req, u, contentType, payload, attempt)
		if err != nil {
			var te *transportError
			if errors.As(err, &te) && c.retryServerError(ctx, req, attempt) {
				continue
			}
			return err
		}
		if status >= 200 && status < 300 {
			if out == nil || len(bytes.TrimSpace(body)) == 0 {
				return nil
			}
			if err := decodeJSON(body, out); err != nil {
				return fmt.Errorf("intercom: %s %s: decode response: %w", req.method, req.route, err)
			}
			return nil
		}
		apiErr := parseAPIError(status, hdr, body)
		if status == http.StatusTooManyRequests && attempt <= c.maxRetry {
			d := c.limiter.backoff(hdr, attempt, c.cfg.MaxRateLimitWait)
			c.log.WarnContext(ctx, "intercom: rate limited, waiting",
				slog.String("route", req.route), slog.Int64("wait_ms", d.Milliseconds()), slog.Int("attempt", attempt))
			if err := sleep(ctx, d); err != nil {
				return fmt.Errorf("intercom: %s %s: %w (gave up waiting: %w)", req.method, req.route, apiErr, err)
			}
			continue
		}
		if status >= 500 && c.retryServerError(ctx, req, attempt) {
			continue
		}
		return fmt.Errorf("intercom: %s %s: %w", req.method, req.route, apiErr)
	}
}

// retryServerError decides whether a call that failed with a 5xx or a
// transport error is tried again, and waits before it is. Only idempotent
// methods are: repeating a GET, PUT or DELETE cannot apply a change twice,
// while a repeated POST could create a second conversation or note. Waits
// grow 250 ms, 500 ms, 1 s…; the job queue retries beyond MaxRetries.
func (c *Client) retryServerError(ctx context.Context, req request, attempt int) bool {
	switch req.method {
	case http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodHead:
	default:
		return false
	}
	if attempt > c.maxRetry {
		return false
	}
	d := time.Duration(250<<(attempt-1)) * time.Millisecond
	c.log.DebugContext(ctx, "intercom: server error, retrying", slog.String("route", req.route),
		slog.Int64("wait_ms", d.Milliseconds()), slog.Int("attempt", attempt))
	return sleep(ctx, d) == nil
}

// send performs one HTTP exchange and returns the status, headers and the
// whole body.
func (c *Client) send(ctx context.Context, req request, u, contentType string, payload []byte, attempt int) (int, http.Header, []byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("intercom: %s %s: %w", req.method, req.route, err)
	}
	if req.auth {
		hr.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("Intercom-Version", c.cfg.Version)
	hr.Header.Set("User-Agent", "ferry-intercom/1")
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	start := time.Now()
	resp, err := c.hc.Do(hr)
	if err != nil {
		c.observe(req, 0, nil, time.Since(start), attempt)
		if ctx.Err() != nil {
			return 0, nil, nil, fmt.Errorf("intercom: %s %s: %w", req.method, req.route, ctx.Err())
		}
		return 0, nil, nil, fmt.Errorf("intercom: %s %s: %w", req.method, req.route, &transportError{err})
	}
	defer resp.Body.Close()
	// Bodies are small JSON documents; 64 MiB guards against a broken peer.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	c.limiter.update(resp.Header)
	c.observe(req, resp.StatusCode, resp.Header, time.Since(start), attempt)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("intercom: %s %s: read body: %w", req.method, req.route, &transportError{err})
	}
	c.log.DebugContext(ctx, "intercom: call", slog.String("method", req.method),
		slog.String("route", req.route), slog.Int("status", resp.StatusCode))
	return resp.StatusCode, resp.Header, body, nil
}

func (c *Client) observe(req request, status int, h http.Header, d time.Duration, attempt int) {
	if c.cfg.OnCall == nil {
		return
	}
	rem := -1
	if h != nil {
		if v, err := strconv.Atoi(h.Get("X-RateLimit-Remaining")); err == nil {
			rem = v
		}
	}
	c.cfg.OnCall(CallInfo{Method: req.method, Route: req.route, Path: req.path, Status: status,
		Duration: d, Remaining: rem, Attempt: attempt})
}

// parseAPIError builds an *APIError from an error response. Bodies that are
// not Intercom's error.list (a proxy's HTML page, say) still give the
// status and a short excerpt.
func parseAPIError(status int, h http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var el struct {
		Type      string      `json:"type"`
		RequestID *string     `json:"request_id"`
		Errors    []ErrorItem `json:"errors"`
		// Some endpoints answer with a single error object.
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &el); err == nil {
		if el.RequestID != nil {
			e.RequestID = *el.RequestID
		}
		e.Errors = el.Errors
		if len(el.Errors) == 0 && el.Code != "" {
			e.Errors = []ErrorItem{{Code: el.Code, Message: el.Message}}
		}
		if len(e.Errors) > 0 {
			e.Code, e.Message, e.Field = e.Errors[0].Code, e.Errors[0].Message, e.Errors[0].Field
		}
	}
	if e.RequestID == "" {
		e.RequestID = h.Get("X-Request-Id")
	}
	if e.Code == "" && e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
	}
	return e
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pathEscape escapes one path segment (ids are opaque to ferry).
func pathEscape(s string) string { return url.PathEscape(s) }
