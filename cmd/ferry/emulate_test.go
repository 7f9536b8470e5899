package main

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestEmulateServesUntilCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		emulator   string
		path       string // a path the emulator answers without credentials
		wantStatus int
	}{
		{"salesforce", "/services/data", http.StatusOK},
		{"intercom", "/me", http.StatusUnauthorized},
	}
	urlRE := regexp.MustCompile(`url=(http://[^ ]+)`)
	for _, tt := range tests {
		t.Run(tt.emulator, func(t *testing.T) {
			t.Parallel()
			env, _, stderr := testEnv(nil)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- cmdEmulate(ctx, []string{tt.emulator, "--listen", "127.0.0.1:0", "--seed", "empty"}, env)
			}()

			base := waitLogged(t, stderr, urlRE, done)
			resp, err := http.Get(base + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}

			cancel()
			if err := <-done; err != nil {
				t.Fatalf("emulate %s after cancel: %v", tt.emulator, err)
			}
			if !strings.Contains(stderr.String(), tt.emulator+" emulator stopped") {
				t.Errorf("no stop line logged; log:\n%s", stderr)
			}
			if _, err := http.Get(base + tt.path); err == nil {
				t.Errorf("still serving after shutdown")
			}
		})
	}
}

// waitLogged waits until the running emulator's log matches re and returns
// the first submatch; done reports the emulator ending early.
func waitLogged(t *testing.T, stderr *syncBuffer, re *regexp.Regexp, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("emulator ended before listening: %v; log:\n%s", err, stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q line logged; log:\n%s", re, stderr)
		}
	}
}

func TestEmulateUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"SalesforceBadSeed", []string{"salesforce", "--seed", "full"}, `--seed must be demo or empty, not "full"`},
		{"IntercomBadSeed", []string{"intercom", "--seed", "full"}, `--seed must be demo or empty, not "full"`},
		{"SalesforceExtraArgument", []string{"salesforce", "now"}, "unexpected arguments: [now]"},
		{"IntercomExtraArgument", []string{"intercom", "now"}, "unexpected arguments: [now]"},
		{"IntercomUnknownFlag", []string{"intercom", "--nope"}, "flag provided but not defined: -nope"},
		{"IntercomInboxHalfConfigured", []string{"intercom", "--inbox-initialize-url", "http://127.0.0.1:1/canvas/initialize"}, "--inbox-initialize-url and --inbox-submit-url go together"},
		{"SalesforceNoDailyLimit", []string{"salesforce", "--api-daily-limit", "0"}, "--api-daily-limit must be positive"},
		{"SalesforcePubSubCertWithoutKey", []string{"salesforce", "--pubsub-listen", "127.0.0.1:0", "--pubsub-cert", "c.pem"}, "--pubsub-cert and --pubsub-key go together"},
		{"SalesforcePubSubCertWithoutListen", []string{"salesforce", "--pubsub-cert", "c.pem", "--pubsub-key", "k.pem"}, "--pubsub-cert needs --pubsub-listen"},
		{"SalesforceNoKeepAlive", []string{"salesforce", "--pubsub-keepalive", "0s"}, "--pubsub-keepalive and --event-retention must be positive, --event-delivery-allocation not negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, _, _ := testEnv(nil)
			err := cmdEmulate(t.Context(), tt.args, env)
			var ue usageError
			if !errors.As(err, &ue) || ue.msg != tt.want {
				t.Fatalf("err = %v, want usage error %q", err, tt.want)
			}
		})
	}
}

func TestEmulateListenError(t *testing.T) {
	t.Parallel()
	env, _, _ := testEnv(nil)
	err := cmdEmulate(t.Context(), []string{"salesforce", "--listen", "256.0.0.1:0", "--seed", "empty"}, env)
	if err == nil || !strings.HasPrefix(err.Error(), "emulate salesforce: listen: ") {
		t.Fatalf("err = %v, want a wrapped listen error", err)
	}
}
