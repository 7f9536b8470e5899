package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/daemon"
	"github.com/ferrysync/ferry/internal/logs"
	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/settings"
)

// Demo credentials of the emulated Intercom app (the Salesforce emulator has
// its own defaults).
const (
	demoIntercomClientID = "ferry-demo-intercom"
)

func cmdDemo(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	listen := fs.String("listen", config.DefaultListen, "ferry's HTTP listen address")
	sfListen := fs.String("salesforce-listen", "127.0.0.1:8181", "the Salesforce emulator's listen address (a free port is used if taken)")
	icListen := fs.String("intercom-listen", "127.0.0.1:8182", "the Intercom emulator's listen address (a free port is used if taken)")
	poll := fs.Duration("poll-interval", 10*time.Second, "how often ferry polls the Salesforce emulator")
	verbose := fs.Bool("verbose", false, "log at debug level")
	logFormat := fs.String("log-format", "text", "log format: text (for people) or json (one object a line)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: ferry demo [flags]

Runs everything locally with no set-up: a Salesforce org and an Intercom
workspace (emulators with demo data), and ferry on a SQLite file in a
temporary directory. ferry is connected to both through the real OAuth and
token paths and a sample mapping is applied. Stop with Ctrl-C.

Flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := "info"
	if *verbose {
		level = "debug"
	}
	logger, err := logs.New(env.Stderr, level, *logFormat)
	if err != nil {
		return usageError{err.Error()}
	}

	dir, err := os.MkdirTemp("", "ferry-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	ferryLn, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with --listen)", *listen, err)
	}
	ferryURL := "http://" + ferryLn.Addr().String()

	sfLn, err := listenOrAny(*sfListen, logger)
	if err != nil {
		return err
	}
	sf := sfemu.New(sfemu.Options{Seed: "demo", AutoApprove: true, Logger: logger.With("emulator", "salesforce")})
	sfURL := "http://" + sfLn.Addr().String()
	stopSF := serveHandler(sfLn, sf)
	defer stopSF()
	// Salesforce changes stream as change events (F3.3), as from a real
	// org's Pub/Sub API.
	pubsubAddr, err := sf.StartPubSub("127.0.0.1:0", nil)
	if err != nil {
		return err
	}
	defer sf.StopPubSub()

	icLn, err := listenOrAny(*icListen, logger)
	if err != nil {
		return err
	}
	icSecret := randomHex(16)
	// An access token the Intercom emulator accepts, printed for trying
	// its API by hand (ferry itself connects through OAuth).
	icToken := "demo-" + randomHex(16)
	ic := icemu.New(icemu.Options{
		Tokens:       []string{icToken},
		Seed:         "demo",
		ClientID:     demoIntercomClientID,
		ClientSecret: icSecret,
		AutoApprove:  true,
		Webhooks:     []string{ferryURL + "/webhooks/intercom"},
		// ferry's inbox app, beside every conversation of the inbox page;
		// Intercom signs its requests with the app's client secret.
		InboxApp:          icemu.InboxApp{InitializeURL: ferryURL + "/canvas/initialize", SubmitURL: ferryURL + "/canvas/submit"},
		WebhookRetryDelay: 5 * time.Second,
		Logger:            logger.With("emulator", "intercom"),
	})
	defer ic.Close()
	grace, ken, dana, err := seedSharedCustomers(sf, ic)
	if err != nil {
		return err
	}
	icURL := "http://" + icLn.Addr().String()
	stopIC := serveHandler(icLn, ic)
	defer stopIC()

	adminToken := randomHex(24)
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"FERRY_DATABASE_URL":             "sqlite://" + filepath.Join(dir, "ferry.db"),
			"FERRY_LISTEN":                   ferryLn.Addr().String(),
			"FERRY_PUBLIC_URL":               ferryURL,
			"FERRY_ADMIN_TOKEN":              adminToken,
			"FERRY_SALESFORCE_LOGIN_URL":     sfURL,
			"FERRY_SALESFORCE_CLIENT_ID":     sfemu.DefaultClientID,
			"FERRY_SALESFORCE_CLIENT_SECRET": sfemu.DefaultClientSecret,
			"FERRY_SALESFORCE_PUBSUB_URL":    "http://" + pubsubAddr,
			"FERRY_INTERCOM_URL":             icURL,
			"FERRY_INTERCOM_OAUTH_URL":       icURL + "/oauth",
			"FERRY_INTERCOM_CLIENT_ID":       demoIntercomClientID,
			"FERRY_INTERCOM_CLIENT_SECRET":   icSecret,
			"FERRY_POLL_INTERVAL":            poll.String(),
			"FERRY_LOG_LEVEL":                "info",
		}[k]
	})
	if err != nil {
		return err
	}
	key, err := secret.GenerateKey()
	if err != nil {
		return err
	}
	d, err := daemon.Start(ctx, daemon.Options{
		Config: cfg, Key: key, Listener: ferryLn, Logger: logger.With("component", "ferry"),
	})
	if err != nil {
		return err
	}

	if err := demoConnect(ctx, ferryURL, adminToken); err != nil {
		_ = d.Close()
		return err
	}
	if err := demoConversation(ic, grace); err != nil {
		_ = d.Close()
		return fmt.Errorf("demo: conversation: %w", err)
	}
	if err := demoInbox(ic, ken, dana); err != nil {
		_ = d.Close()
		return fmt.Errorf("demo: inbox conversations: %w", err)
	}

	fmt.Fprintf(env.Stdout, `
ferry demo is running (Ctrl-C stops it; everything lives in %s and is removed on exit)

  admin web UI     %s/signin/link?token=%s   (opens signed in)
  ferry            %s
  admin token      %s
  Salesforce org   %s   (user %s / %s)
  Intercom         %s
  Intercom token   %s
  Intercom inbox   %s/__emulator/inbox   (ferry's inbox app beside each conversation)

Both sides are connected through OAuth and a sample mapping is applied.
Grace Hopper wrote in and James Chen closed her conversation: it is logged
as a completed Task on her Salesforce Lead, owned by James.

In the Intercom inbox, open Ken Thompson's conversation to see his
Salesforce Contact, Account, Opportunities and open Case beside it: New
Case opens a Case (this org requires a Product on every Case) and adds a
note with its link to the conversation. Nina Newcomer is not in Salesforce
yet: Create Lead makes her one. Two Salesforce Leads match Dana Scully, and
Leo Park left no email.

Watch a change sync. Grace updates her job title in Intercom (the
emulator sends ferry the webhook Intercom would):

  curl -X POST %s/__emulator/contacts/%s/attributes \
    -H 'Content-Type: application/json' -d '{"custom_attributes":{"job_title":"Rear Admiral"}}'

then see what ferry did, and the Lead's Title in Salesforce:

  export FERRY_PUBLIC_URL=%s FERRY_ADMIN_TOKEN=%s
  go run ./cmd/ferry history grace.hopper@acme-robotics.example
  go run ./cmd/ferry connections show %d

The Intercom API takes the token above (curl -H "Authorization: Bearer %s"
%s/contacts). Shell completion: go run ./cmd/ferry completion bash|zsh

`, dir, ferryURL, adminToken, ferryURL, adminToken, sfURL, sfemu.DefaultUsername, sfemu.DefaultPassword, icURL, icToken, icURL,
		icURL, grace, ferryURL, adminToken, d.ConnID, icToken, icURL)
	return d.Wait(ctx)
}

// demoConnect connects the default connection to both emulators the way an
// admin's browser would — through ferry's own /connect endpoints, the
// emulators' authorize pages and ferry's callbacks — and applies the sample
// settings through the admin API.
func demoConnect(ctx context.Context, ferryURL, adminToken string) error {
	// A browser keeps cookies: ferry binds each OAuth flow to the
	// browser that starts it.
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	browser := &http.Client{Timeout: 30 * time.Second, Jar: jar}
	for _, side := range []string{"salesforce", "intercom"} {
		req, err := http.NewRequestWithContext(ctx, "GET", ferryURL+"/connect/"+side, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := browser.Do(req)
		if err != nil {
			return fmt.Errorf("demo: connect %s: %w", side, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("demo: connect %s: ferry answered %d: %s", side, resp.StatusCode, body)
		}
	}
	doc, err := settings.Sample().MarshalIndent()
	if err != nil {
		return err
	}
	c := &adminClient{base: ferryURL, token: adminToken, http: browser}
	if _, _, err := c.do(ctx, "PUT", "/api/v1/settings", doc, nil); err != nil {
		return fmt.Errorf("demo: apply sample settings: %w", err)
	}
	return nil
}

// listenOrAny listens on addr, or on a free loopback port if addr is taken.
func listenOrAny(addr string, logger *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	logger.Warn("address taken; using a free port instead", "addr", addr, "error", err)
	return net.Listen("tcp", "127.0.0.1:0")
}

// serveHandler serves h on ln until the returned stop function is called.
func serveHandler(ln net.Listener, h http.Handler) (stop func()) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Default().Error("emulator stopped", "error", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
