package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"

	"github.com/ferrysync/ferry/emulator/salesforce"
)

// cmdEmulateSalesforce runs a local Salesforce org until ctx is done.
func cmdEmulateSalesforce(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("ferry emulate salesforce", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	listen := fs.String("listen", "127.0.0.1:8181", "address to listen on")
	seed := fs.String("seed", "demo", "initial data: demo (a believable org) or empty (only the login user)")
	clientID := fs.String("client-id", salesforce.DefaultClientID, "connected app consumer key")
	clientSecret := fs.String("client-secret", salesforce.DefaultClientSecret, "connected app consumer secret")
	user := fs.String("user", salesforce.DefaultUsername, "login user's username (also its email)")
	password := fs.String("password", salesforce.DefaultPassword, "login user's password (also HTTP Basic for /__emulator/)")
	autoApprove := fs.Bool("auto-approve", false, "authorize redirects at once as the login user instead of showing the login form")
	dailyLimit := fs.Int("api-daily-limit", salesforce.DefaultAPIDailyLimit, "REST API calls allowed per day")
	pubsubListen := fs.String("pubsub-listen", "", "address to serve the Pub/Sub API (gRPC, change events) on, e.g. 127.0.0.1:7011; off when empty")
	pubsubCert := fs.String("pubsub-cert", "", "TLS certificate file (PEM) for the Pub/Sub API; plaintext when empty")
	pubsubKey := fs.String("pubsub-key", "", "TLS private key file (PEM) for --pubsub-cert")
	keepAlive := fs.Duration("pubsub-keepalive", salesforce.DefaultKeepAlive, "interval of the empty keep-alive responses on idle Pub/Sub streams")
	retention := fs.Duration("event-retention", salesforce.DefaultEventRetention, "how long change events are kept for replay")
	allocation := fs.Int("event-delivery-allocation", salesforce.DefaultDeliveryAllocation, "change events deliverable per rolling 24 hours")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ferry emulate salesforce [flags]")
		fmt.Fprintln(env.Stderr)
		fmt.Fprintln(env.Stderr, "Runs a local Salesforce org (OAuth, REST API v46.0–v67.0, control surface under /__emulator/),")
		fmt.Fprintln(env.Stderr, "and with --pubsub-listen its Pub/Sub API streaming change events.")
		fmt.Fprintln(env.Stderr)
		fs.PrintDefaults()
	}
	if err := parseEmulatorFlags(fs, args, seed); err != nil {
		return err
	}
	if *dailyLimit <= 0 {
		return usageError{"--api-daily-limit must be positive"}
	}
	if (*pubsubCert == "") != (*pubsubKey == "") {
		return usageError{"--pubsub-cert and --pubsub-key go together"}
	}
	if *pubsubCert != "" && *pubsubListen == "" {
		return usageError{"--pubsub-cert needs --pubsub-listen"}
	}
	if *keepAlive <= 0 || *retention <= 0 || *allocation < 0 {
		return usageError{"--pubsub-keepalive and --event-retention must be positive, --event-delivery-allocation not negative"}
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	srv := salesforce.New(salesforce.Options{
		Seed: *seed, ClientID: *clientID, ClientSecret: *clientSecret, Username: *user,
		Password: *password, AutoApprove: *autoApprove, APIDailyLimit: *dailyLimit, Logger: log,
	})
	if *pubsubListen != "" {
		var cert *tls.Certificate
		if *pubsubCert != "" {
			c, err := tls.LoadX509KeyPair(*pubsubCert, *pubsubKey)
			if err != nil {
				return fmt.Errorf("emulate salesforce: pub/sub certificate: %w", err)
			}
			cert = &c
		}
		srv.SetKeepAliveInterval(*keepAlive)
		srv.SetEventRetention(*retention)
		srv.SetDeliveryAllocation(*allocation)
		if _, err := srv.StartPubSub(*pubsubListen, cert); err != nil {
			return fmt.Errorf("emulate salesforce: %w", err)
		}
		defer srv.StopPubSub()
	}
	return serveEmulator(ctx, log, "salesforce", *listen, srv, "seed", *seed,
		"client_id", *clientID, "user", *user, "auto_approve", *autoApprove)
}
