package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ferrysync/ferry/emulator/intercom"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// cmdEmulateIntercom runs the local Intercom workspace until ctx ends.
func cmdEmulateIntercom(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("ferry emulate intercom", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	listen := fs.String("listen", "127.0.0.1:8182", "address to listen on")
	seed := fs.String("seed", "demo", "initial workspace: demo (teammates, companies, contacts, conversations) or empty (only the app's admin)")
	var tokens, hooks stringList
	fs.Var(&tokens, "token", "access token the API accepts (repeatable; OAuth-issued tokens work too)")
	clientID := fs.String("client-id", "ferry-dev", "the app's OAuth client id")
	clientSecret := fs.String("client-secret", "ferry-dev-secret", "the app's client secret; signs webhooks (X-Hub-Signature)")
	fs.Var(&hooks, "webhook", "webhook subscription URL receiving all topics (repeatable)")
	autoApprove := fs.Bool("auto-approve", false, "skip the OAuth consent page and redirect at once")
	rateLimit := fs.Int("rate-limit", 10000, "API calls per minute per app, enforced per 10-second window (limit/6)")
	retryDelay := fs.Duration("webhook-retry-delay", time.Minute, "delay before the single retry of a failed webhook delivery")
	var inbox intercom.InboxApp
	fs.StringVar(&inbox.InitializeURL, "inbox-initialize-url", "", "the inbox app's Initialize flow webhook URL (e.g. http://127.0.0.1:8080/canvas/initialize); the inbox page is /__emulator/inbox")
	fs.StringVar(&inbox.SubmitURL, "inbox-submit-url", "", "the inbox app's Submit flow webhook URL (e.g. http://127.0.0.1:8080/canvas/submit)")
	fs.StringVar(&inbox.ClientSecret, "inbox-client-secret", "", "the secret that signs inbox app requests (X-Body-Signature); default the --client-secret")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ferry emulate intercom [flags]")
		fmt.Fprintln(env.Stderr, "\nRuns a local Intercom REST API 2.11 with webhooks until interrupted.")
		fmt.Fprintln(env.Stderr, "Control surface for tests and demos: /__emulator/… (no auth).")
		fmt.Fprintln(env.Stderr, "With --inbox-initialize-url and --inbox-submit-url, /__emulator/inbox is an inbox")
		fmt.Fprintln(env.Stderr, "that shows the app beside each conversation.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := parseEmulatorFlags(fs, args, seed); err != nil {
		return err
	}
	if (inbox.InitializeURL == "") != (inbox.SubmitURL == "") {
		return usageError{"--inbox-initialize-url and --inbox-submit-url go together"}
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	srv := intercom.New(intercom.Options{
		Seed: *seed, Tokens: tokens, ClientID: *clientID, ClientSecret: *clientSecret, AutoApprove: *autoApprove,
		Webhooks: hooks, RateLimit: *rateLimit, WebhookRetryDelay: *retryDelay, Logger: log, InboxApp: inbox,
	})
	defer srv.Close()
	return serveEmulator(ctx, log, "intercom", *listen, srv, "seed", *seed,
		"app_id", srv.AppID(), "tokens", len(tokens), "webhooks", len(hooks), "inbox_app", inbox.InitializeURL != "")
}
