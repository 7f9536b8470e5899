package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != DefaultDatabaseURL || c.Listen != DefaultListen || c.PollInterval != DefaultPollInterval ||
		c.HistoryRetention != 90*24*time.Hour {
		t.Errorf("defaults: %+v", c)
	}
	if c.PublicURL != "http://"+DefaultListen {
		t.Errorf("PublicURL = %q", c.PublicURL)
	}
	if c.Salesforce.LoginURL != DefaultSalesforceLoginURL || c.Intercom.URL != DefaultIntercomURL ||
		c.Salesforce.PubSubURL != DefaultSalesforcePubSubURL {
		t.Errorf("API defaults: %+v %+v", c.Salesforce, c.Intercom)
	}
	if c.WebhookURL() != "http://127.0.0.1:8080/webhooks/intercom" {
		t.Errorf("WebhookURL = %q", c.WebhookURL())
	}
	if err := c.RequireSecrets(); err == nil {
		t.Error("RequireSecrets accepted a config without key and admin token")
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{
			name: "Overrides",
			env: map[string]string{
				"FERRY_DATABASE_URL":         "postgres://u@h/db",
				"FERRY_PUBLIC_URL":           "https://ferry.example.com/",
				"FERRY_POLL_INTERVAL":        "30s",
				"FERRY_SALESFORCE_LOGIN_URL": "https://test.salesforce.com/",
				"FERRY_INTERCOM_URL":         "https://api.eu.intercom.io",
			},
			check: func(t *testing.T, c Config) {
				if c.PublicURL != "https://ferry.example.com" {
					t.Errorf("PublicURL = %q", c.PublicURL)
				}
				if c.PollInterval != 30*time.Second {
					t.Errorf("PollInterval = %s", c.PollInterval)
				}
				if c.Salesforce.LoginURL != "https://test.salesforce.com" {
					t.Errorf("LoginURL = %q", c.Salesforce.LoginURL)
				}
				if c.SalesforceCallbackURL() != "https://ferry.example.com/oauth/salesforce/callback" {
					t.Errorf("callback = %q", c.SalesforceCallbackURL())
				}
			},
		},
		{name: "HistoryRetentionInDays", env: map[string]string{"FERRY_HISTORY_RETENTION": "30d"}, check: func(t *testing.T, c Config) {
			if c.HistoryRetention != 30*24*time.Hour {
				t.Errorf("HistoryRetention = %s, want 720h", c.HistoryRetention)
			}
		}},
		{name: "HistoryRetentionInHours", env: map[string]string{"FERRY_HISTORY_RETENTION": "36h"}, check: func(t *testing.T, c Config) {
			if c.HistoryRetention != 36*time.Hour {
				t.Errorf("HistoryRetention = %s, want 36h", c.HistoryRetention)
			}
		}},
		{name: "BadHistoryRetention", env: map[string]string{"FERRY_HISTORY_RETENTION": "forever"}, wantErr: "FERRY_HISTORY_RETENTION"},
		{name: "HistoryRetentionTooShort", env: map[string]string{"FERRY_HISTORY_RETENTION": "1m"}, wantErr: "below the minimum"},
		{name: "BadPollInterval", env: map[string]string{"FERRY_POLL_INTERVAL": "often"}, wantErr: "FERRY_POLL_INTERVAL"},
		{name: "PollIntervalTooShort", env: map[string]string{"FERRY_POLL_INTERVAL": "10ms"}, wantErr: "below the minimum"},
		{name: "BadPublicURL", env: map[string]string{"FERRY_PUBLIC_URL": "ferry.example.com"}, wantErr: "FERRY_PUBLIC_URL"},
		{name: "PubSubBareHostIsTLS", env: map[string]string{"FERRY_SALESFORCE_PUBSUB_URL": "pubsub.example.com:7443"}, check: func(t *testing.T, c Config) {
			if target, tls, err := PubSubTarget(c.Salesforce.PubSubURL); err != nil || target != "pubsub.example.com:7443" || !tls {
				t.Errorf("PubSubTarget(%q) = %q, %v, %v; want TLS to pubsub.example.com:7443", c.Salesforce.PubSubURL, target, tls, err)
			}
		}},
		{name: "PubSubHTTPSIsTLS", env: map[string]string{"FERRY_SALESFORCE_PUBSUB_URL": "https://127.0.0.1:7011/"}, check: func(t *testing.T, c Config) {
			if target, tls, err := PubSubTarget(c.Salesforce.PubSubURL); err != nil || target != "127.0.0.1:7011" || !tls {
				t.Errorf("PubSubTarget(%q) = %q, %v, %v; want TLS to 127.0.0.1:7011", c.Salesforce.PubSubURL, target, tls, err)
			}
		}},
		{name: "PubSubHTTPIsPlaintext", env: map[string]string{"FERRY_SALESFORCE_PUBSUB_URL": "http://127.0.0.1:7011"}, check: func(t *testing.T, c Config) {
			if target, tls, err := PubSubTarget(c.Salesforce.PubSubURL); err != nil || target != "127.0.0.1:7011" || tls {
				t.Errorf("PubSubTarget(%q) = %q, %v, %v; want plaintext to 127.0.0.1:7011", c.Salesforce.PubSubURL, target, tls, err)
			}
		}},
		{name: "PubSubWithoutPort", env: map[string]string{"FERRY_SALESFORCE_PUBSUB_URL": "https://pubsub.example.com"}, wantErr: "FERRY_SALESFORCE_PUBSUB_URL"},
		{name: "PubSubOtherScheme", env: map[string]string{"FERRY_SALESFORCE_PUBSUB_URL": "grpc://h:1"}, wantErr: "https:// or http://"},
		{name: "BadLogLevel", env: map[string]string{"FERRY_LOG_LEVEL": "loud"}, wantErr: "FERRY_LOG_LEVEL"},
		{name: "APIVersion", env: map[string]string{"FERRY_SALESFORCE_API_VERSION": "58.0"}, check: func(t *testing.T, c Config) {
			if c.Salesforce.APIVersion != "58.0" {
				t.Errorf("APIVersion = %q, want 58.0", c.Salesforce.APIVersion)
			}
		}},
		{name: "APIVersionWithV", env: map[string]string{"FERRY_SALESFORCE_API_VERSION": "v62.0"}, wantErr: "such as 62.0"},
		{name: "APIVersionTooOld", env: map[string]string{"FERRY_SALESFORCE_API_VERSION": "49.0"}, wantErr: "older than 50.0"},
		{
			name:    "AllProblemsTogether",
			env:     map[string]string{"FERRY_LOG_LEVEL": "loud", "FERRY_INTERCOM_URL": "ftp://x"},
			wantErr: "FERRY_INTERCOM_URL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				if tt.name == "AllProblemsTogether" && !strings.Contains(err.Error(), "FERRY_LOG_LEVEL") {
					t.Errorf("err = %v, want both problems listed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestRequireSecretsDoesNotEchoValues(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"FERRY_ADMIN_TOKEN": "s3cret-admin"}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.RequireSecrets()
	if err == nil || !strings.Contains(err.Error(), "FERRY_SECRET_KEY") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "s3cret-admin") {
		t.Error("error message leaks the admin token")
	}
}

func TestOperatorSettings(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	c, err := Load(env(map[string]string{"FERRY_STALLED_AFTER": "30m", "FERRY_LOG_FORMAT": "text",
		"FERRY_METRICS_TOKEN": "scrape", "FERRY_METRICS_LISTEN": "127.0.0.1:9090"}))
	if err != nil || c.StalledAfter != 30*time.Minute || c.LogFormat != "text" || c.MetricsToken != "scrape" || c.MetricsListen != "127.0.0.1:9090" {
		t.Fatalf("Load = %+v, %v", c, err)
	}
	if c, _ := Load(env(nil)); c.StalledAfter != DefaultStalledAfter || c.LogFormat != "json" {
		t.Fatalf("defaults: stalled after %s, log format %q", c.StalledAfter, c.LogFormat)
	}
	_, err = Load(env(map[string]string{"FERRY_STALLED_AFTER": "10s", "FERRY_LOG_FORMAT": "xml",
		"FERRY_LISTEN": "nonsense", "FERRY_METRICS_LISTEN": "127.0.0.1:99999"}))
	for _, want := range []string{"FERRY_STALLED_AFTER", "FERRY_LOG_FORMAT", "FERRY_LISTEN", "FERRY_METRICS_LISTEN"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
