package main

import (
	"context"
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
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ferry emulate salesforce [flags]")
		fmt.Fprintln(env.Stderr)
		fmt.Fprintln(env.Stderr, "Runs a local Salesforce org (OAuth, REST API v46.0–v67.0, control surface under /__emulator/).")
		fmt.Fprintln(env.Stderr)
		fs.PrintDefaults()
	}
	if err := parseEmulatorFlags(fs, args, seed); err != nil {
		return err
	}
	if *dailyLimit <= 0 {
		return usageError{"--api-daily-limit must be positive"}
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	srv := salesforce.New(salesforce.Options{
		Seed: *seed, ClientID: *clientID, ClientSecret: *clientSecret, Username: *user,
		Password: *password, AutoApprove: *autoApprove, APIDailyLimit: *dailyLimit, Logger: log,
	})
	return serveEmulator(ctx, log, "salesforce", *listen, srv, "seed", *seed,
		"client_id", *clientID, "user", *user, "auto_approve", *autoApprove)
}
