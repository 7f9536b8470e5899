// Package config reads ferry's configuration from the environment.
//
// Every setting has one environment variable; commands may override some of
// them with flags. The values are parsed once, validated together, and passed
// explicitly to whatever needs them: nothing reads the environment later.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for the settings that have one.
const (
	DefaultDatabaseURL        = "./ferry.db"
	DefaultListen             = "127.0.0.1:8080"
	DefaultSalesforceLoginURL = "https://login.salesforce.com"
	DefaultSalesforceVersion  = "62.0"
	// DefaultSalesforcePubSubURL is Salesforce's Pub/Sub API endpoint,
	// which streams Change Data Capture events (TLS).
	DefaultSalesforcePubSubURL = "api.pubsub.salesforce.com:7443"
	DefaultIntercomURL         = "https://api.intercom.io"
	DefaultIntercomOAuthURL    = "https://app.intercom.com/oauth"
	DefaultPollInterval        = 5 * time.Minute
	MinPollInterval            = time.Second
	DefaultStalledAfter        = 15 * time.Minute
	DefaultHistoryRetention    = 90 * 24 * time.Hour
	MinHistoryRetention        = time.Hour
)

// Config is ferry's process configuration.
type Config struct {
	// DatabaseURL selects the store: a file path or sqlite:///path for
	// SQLite, postgres://… for PostgreSQL. FERRY_DATABASE_URL.
	DatabaseURL string
	// SecretKey encrypts credentials at rest (32 bytes, base64 or hex).
	// FERRY_SECRET_KEY. Required outside demo mode.
	SecretKey string
	// Listen is the HTTP listen address. FERRY_LISTEN.
	Listen string
	// PublicURL is how Salesforce, Intercom and browsers reach ferry: OAuth
	// callbacks and the webhook URL are built from it. FERRY_PUBLIC_URL;
	// defaults to http://Listen.
	PublicURL string
	// AdminToken authorizes the admin API and UI. FERRY_ADMIN_TOKEN.
	AdminToken string
	// LogLevel is debug, info, warn or error. FERRY_LOG_LEVEL.
	LogLevel string
	// LogFormat is json (default) or text. FERRY_LOG_FORMAT.
	LogFormat string

	Salesforce SalesforceConfig
	Intercom   IntercomConfig

	// PollInterval is how often Salesforce is polled for changes.
	// FERRY_POLL_INTERVAL.
	PollInterval time.Duration
	// HistoryRetention is how long per-record history is kept; older
	// entries are deleted by the hourly cleanup. FERRY_HISTORY_RETENTION,
	// e.g. 90d or 720h.
	HistoryRetention time.Duration

	// MetricsToken, when set, is the bearer token /metrics and /readyz
	// require (they list connection names). FERRY_METRICS_TOKEN.
	MetricsToken string
	// StalledAfter is how long a received change may wait before its
	// connection says sync is stalled. FERRY_STALLED_AFTER.
	StalledAfter time.Duration
	// MetricsListen, when set, moves /metrics and /readyz (and a copy of
	// /healthz) to a second listen address, e.g. one only the monitoring
	// network reaches. FERRY_METRICS_LISTEN.
	MetricsListen string
}

// SalesforceConfig is the connected app ferry uses.
type SalesforceConfig struct {
	LoginURL     string // FERRY_SALESFORCE_LOGIN_URL
	ClientID     string // FERRY_SALESFORCE_CLIENT_ID
	ClientSecret string // FERRY_SALESFORCE_CLIENT_SECRET
	APIVersion   string // FERRY_SALESFORCE_API_VERSION, e.g. 62.0
	// PubSubURL is the Pub/Sub API endpoint Change Data Capture events
	// are streamed from: https://host:port or host:port (TLS) or
	// http://host:port (plaintext, for a local emulator).
	// FERRY_SALESFORCE_PUBSUB_URL.
	PubSubURL string
}

// PubSubTarget splits a Pub/Sub URL into the gRPC dial target (host:port)
// and whether the connection uses TLS.
func PubSubTarget(u string) (target string, tls bool, err error) {
	switch {
	case strings.HasPrefix(u, "https://"):
		target, tls = strings.TrimPrefix(u, "https://"), true
	case strings.HasPrefix(u, "http://"):
		target = strings.TrimPrefix(u, "http://")
	case strings.Contains(u, "://"):
		return "", false, fmt.Errorf("%q: the scheme must be https:// or http://", u)
	default:
		target, tls = u, true
	}
	target = strings.TrimRight(target, "/")
	host, port, err := net.SplitHostPort(target)
	if err != nil || host == "" {
		return "", false, fmt.Errorf("%q is not host:port, https://host:port or http://host:port", u)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return "", false, fmt.Errorf("%q has no port number (1–65535)", u)
	}
	return target, tls, nil
}

// IntercomConfig is the Intercom app or access token ferry uses.
type IntercomConfig struct {
	URL          string // FERRY_INTERCOM_URL: API base (US, EU, AU region)
	OAuthURL     string // FERRY_INTERCOM_OAUTH_URL: the authorize page
	Token        string // FERRY_INTERCOM_TOKEN
	ClientID     string // FERRY_INTERCOM_CLIENT_ID
	ClientSecret string // FERRY_INTERCOM_CLIENT_SECRET; also verifies webhook signatures
}

// Vars lists every environment variable ferry reads, with its default, for
// documentation and `ferry serve --help`.
var Vars = []struct{ Name, Default, Help string }{
	{"FERRY_DATABASE_URL", DefaultDatabaseURL, "store: file path or sqlite:///path (SQLite), postgres://… (PostgreSQL)"},
	{"FERRY_SECRET_KEY", "", "32-byte key, base64 or hex, encrypting credentials at rest (required outside demo)"},
	{"FERRY_LISTEN", DefaultListen, "HTTP listen address"},
	{"FERRY_PUBLIC_URL", "http://$FERRY_LISTEN", "public base URL for OAuth callbacks and the webhook endpoint"},
	{"FERRY_ADMIN_TOKEN", "", "bearer token for the admin API and UI (required outside demo)"},
	{"FERRY_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"FERRY_LOG_FORMAT", "json", "json (one object a line) or text (key=value, for people)"},
	{"FERRY_SALESFORCE_LOGIN_URL", DefaultSalesforceLoginURL, "Salesforce login host (https://test.salesforce.com for sandboxes, or a My Domain URL)"},
	{"FERRY_SALESFORCE_CLIENT_ID", "", "connected app consumer key"},
	{"FERRY_SALESFORCE_CLIENT_SECRET", "", "connected app consumer secret"},
	{"FERRY_SALESFORCE_API_VERSION", DefaultSalesforceVersion, "Salesforce REST API version, 50.0 or later"},
	{"FERRY_SALESFORCE_PUBSUB_URL", DefaultSalesforcePubSubURL, "Salesforce Pub/Sub API endpoint streaming Change Data Capture: host:port or https://host:port (TLS), http://host:port (plaintext)"},
	{"FERRY_INTERCOM_URL", DefaultIntercomURL, "Intercom API base URL (https://api.eu.intercom.io, https://api.au.intercom.io)"},
	{"FERRY_INTERCOM_OAUTH_URL", DefaultIntercomOAuthURL, "Intercom OAuth authorize page"},
	{"FERRY_INTERCOM_TOKEN", "", "Intercom access token (or connect with OAuth)"},
	{"FERRY_INTERCOM_CLIENT_ID", "", "Intercom app client id (OAuth)"},
	{"FERRY_INTERCOM_CLIENT_SECRET", "", "Intercom app client secret (OAuth; verifies webhook signatures)"},
	{"FERRY_POLL_INTERVAL", DefaultPollInterval.String(), "how often Salesforce is polled for changes (at least 1s)"},
	{"FERRY_STALLED_AFTER", DefaultStalledAfter.String(), "a connection says sync is stalled when a received change waited this long"},
	{"FERRY_HISTORY_RETENTION", "90d", "how long per-record history is kept, in days (90d) or hours (720h); at least 1h"},
	{"FERRY_METRICS_TOKEN", "", "bearer token that /metrics and /readyz then require"},
	{"FERRY_METRICS_LISTEN", "", "second listen address serving /metrics, /readyz and /healthz instead of the main one"},
}

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests) and validates it. All problems are reported together.
func Load(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		DatabaseURL: get("FERRY_DATABASE_URL", DefaultDatabaseURL),
		SecretKey:   getenv("FERRY_SECRET_KEY"),
		Listen:      get("FERRY_LISTEN", DefaultListen),
		PublicURL:   get("FERRY_PUBLIC_URL", ""),
		AdminToken:  getenv("FERRY_ADMIN_TOKEN"),
		LogLevel:    get("FERRY_LOG_LEVEL", "info"),
		LogFormat:   get("FERRY_LOG_FORMAT", "json"),
		Salesforce: SalesforceConfig{
			LoginURL:     get("FERRY_SALESFORCE_LOGIN_URL", DefaultSalesforceLoginURL),
			ClientID:     get("FERRY_SALESFORCE_CLIENT_ID", ""),
			ClientSecret: getenv("FERRY_SALESFORCE_CLIENT_SECRET"),
			APIVersion:   get("FERRY_SALESFORCE_API_VERSION", DefaultSalesforceVersion),
			PubSubURL:    get("FERRY_SALESFORCE_PUBSUB_URL", DefaultSalesforcePubSubURL),
		},
		Intercom: IntercomConfig{
			URL:          get("FERRY_INTERCOM_URL", DefaultIntercomURL),
			OAuthURL:     get("FERRY_INTERCOM_OAUTH_URL", DefaultIntercomOAuthURL),
			Token:        getenv("FERRY_INTERCOM_TOKEN"),
			ClientID:     get("FERRY_INTERCOM_CLIENT_ID", ""),
			ClientSecret: getenv("FERRY_INTERCOM_CLIENT_SECRET"),
		},
		PollInterval:     DefaultPollInterval,
		StalledAfter:     DefaultStalledAfter,
		HistoryRetention: DefaultHistoryRetention,
		MetricsToken:     getenv("FERRY_METRICS_TOKEN"),
		MetricsListen:    get("FERRY_METRICS_LISTEN", ""),
	}
	var errs []error
	duration := func(name, examples string, parse func(string) (time.Duration, error), least time.Duration, dst *time.Duration) {
		v := get(name, "")
		if v == "" {
			return
		}
		d, err := parse(v)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %q is not a duration such as %s", name, v, examples))
		case d < least:
			errs = append(errs, fmt.Errorf("%s: %s is below the minimum of %s", name, d, least))
		default:
			*dst = d
		}
	}
	duration("FERRY_POLL_INTERVAL", "30s or 5m", time.ParseDuration, MinPollInterval, &c.PollInterval)
	duration("FERRY_STALLED_AFTER", "15m or 1h", time.ParseDuration, time.Minute, &c.StalledAfter)
	duration("FERRY_HISTORY_RETENTION", "90d or 720h", parseDays, MinHistoryRetention, &c.HistoryRetention)
	if err := c.finish(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return c, nil
}

// finish derives defaults that depend on other settings and checks URLs.
func (c *Config) finish() error {
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	var errs []error
	for _, u := range []struct{ name, value string }{
		{"FERRY_PUBLIC_URL", c.PublicURL},
		{"FERRY_SALESFORCE_LOGIN_URL", c.Salesforce.LoginURL},
		{"FERRY_INTERCOM_URL", c.Intercom.URL},
		{"FERRY_INTERCOM_OAUTH_URL", c.Intercom.OAuthURL},
	} {
		p, err := url.Parse(u.value)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", u.name, u.value))
		}
	}
	for _, l := range []struct{ name, value string }{{"FERRY_LISTEN", c.Listen}, {"FERRY_METRICS_LISTEN", c.MetricsListen}} {
		if l.value == "" && l.name != "FERRY_LISTEN" {
			continue
		}
		if err := checkListen(l.value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q %v; use host:port such as 127.0.0.1:8080 or :8080", l.name, l.value, err))
		}
	}
	if _, _, err := PubSubTarget(c.Salesforce.PubSubURL); err != nil {
		errs = append(errs, fmt.Errorf("FERRY_SALESFORCE_PUBSUB_URL: %w", err))
	}
	if err := checkAPIVersion(c.Salesforce.APIVersion); err != nil {
		errs = append(errs, fmt.Errorf("FERRY_SALESFORCE_API_VERSION: %q %v", c.Salesforce.APIVersion, err))
	}
	c.Salesforce.LoginURL = strings.TrimRight(c.Salesforce.LoginURL, "/")
	c.Intercom.URL = strings.TrimRight(c.Intercom.URL, "/")
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("FERRY_LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	switch c.LogFormat {
	case "json", "text", "":
	default:
		errs = append(errs, fmt.Errorf("FERRY_LOG_FORMAT: %q is not one of json, text", c.LogFormat))
	}
	return errors.Join(errs...)
}

// checkListen checks a listen address's form: host:port with a port number
// (0 picks a free one). Whether it can be listened on is found when ferry
// listens, before it opens the store.
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("is not host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("has no port number (0–65535)")
	}
	return nil
}

// RequireSecrets checks what `ferry serve` cannot run without outside demo
// mode: a key for credentials at rest and an admin token.
func (c Config) RequireSecrets() error {
	var errs []error
	if c.SecretKey == "" {
		errs = append(errs, errors.New("FERRY_SECRET_KEY is not set: ferry refuses to store credentials unencrypted (generate one with: openssl rand -base64 32)"))
	}
	if c.AdminToken == "" {
		errs = append(errs, errors.New("FERRY_ADMIN_TOKEN is not set: the admin API would be open to anyone"))
	}
	return errors.Join(errs...)
}

// WebhookURL is the address Intercom must deliver webhooks to.
func (c Config) WebhookURL() string { return c.PublicURL + "/webhooks/intercom" }

// SalesforceCallbackURL is the OAuth redirect URI registered in the
// Salesforce connected app.
func (c Config) SalesforceCallbackURL() string { return c.PublicURL + "/oauth/salesforce/callback" }

// IntercomCallbackURL is the OAuth redirect URI registered in the Intercom app.
func (c Config) IntercomCallbackURL() string { return c.PublicURL + "/oauth/intercom/callback" }

// parseDays parses a Go duration, or a whole number of days such as "90d".
func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("%q is not a number of days", v)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// MinSalesforceVersion is the oldest Salesforce REST API version ferry
// works with: both-way writes go in Composite Graph calls, which arrived in
// 50.0.
const MinSalesforceVersion = 50

// checkAPIVersion accepts a Salesforce REST API version such as 62.0, at
// least MinSalesforceVersion.
func checkAPIVersion(v string) error {
	major, minor, ok := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if !ok || err != nil || minor != "0" || major != strconv.Itoa(n) {
		return errors.New("is not a Salesforce API version such as 62.0")
	}
	if n < MinSalesforceVersion {
		return fmt.Errorf("is older than %d.0, the oldest version ferry works with", MinSalesforceVersion)
	}
	return nil
}
