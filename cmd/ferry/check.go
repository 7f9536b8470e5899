package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
)

func cmdCheck(ctx context.Context, args []string, env *cliEnv) error {
	if len(args) > 0 && args[0] == "accounts" {
		return cmdCheckAccounts(ctx, args[1:], env)
	}
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	conn := fs.String("connection", "", "connection id (default: the default connection)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: ferry check [--connection ID] [--json]
       ferry check accounts [--connection ID] [--json]

Runs the setup check now through the admin API of the ferry at
FERRY_PUBLIC_URL, authorized by FERRY_ADMIN_TOKEN: describes the Salesforce
objects and checks that the fields ferry needs exist and are visible and
writable for the connected user (those its features need, the matching
keys and every mapped field). Prints each problem with where to fix it in
Salesforce, and the features that are off until then. Exits 1 when there
is a problem. "ferry check accounts" diagnoses account sync instead.

Flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"check takes no arguments"}
	}
	c, err := newAdminClient(env)
	if err != nil {
		return err
	}
	path := "/api/v1/setup-check"
	if *conn != "" {
		path += "?connection=" + url.QueryEscape(*conn)
	}
	data, _, err := c.do(ctx, "GET", path, nil, nil)
	if err != nil {
		return err
	}
	var res app.SetupCheckView
	if err := json.Unmarshal(data, &res); err != nil {
		return fmt.Errorf("unexpected answer from ferry: %s", data)
	}
	if *asJSON {
		if err := writeIndented(env.Stdout, data); err != nil {
			return err
		}
	} else {
		printSetupCheck(env, res)
	}
	if !res.OK {
		return fmt.Errorf("%d setup problem(s) on connection %d", len(res.Problems), res.ConnectionID)
	}
	return nil
}

func printSetupCheck(env *cliEnv, res app.SetupCheckView) {
	if res.OK {
		fmt.Fprintf(env.Stdout, "connection %d: every Salesforce field ferry needs is there (checked %s)\n",
			res.ConnectionID, res.CheckedAt.Format("2006-01-02 15:04:05 UTC"))
		return
	}
	fmt.Fprintf(env.Stdout, "connection %d: %d problem(s) (checked %s)\n", res.ConnectionID, len(res.Problems),
		res.CheckedAt.Format("2006-01-02 15:04:05 UTC"))
	for _, p := range res.Problems {
		fmt.Fprintf(env.Stdout, "\n%s\n", p.Message)
		for _, fix := range strings.Split(p.Fix, "; ") {
			fmt.Fprintf(env.Stdout, "  fix: %s\n", fix)
		}
		if len(p.Mapped) > 0 {
			fmt.Fprintf(env.Stdout, "  paused mappings: %s (the other fields keep syncing; changes to these are kept and written once they are back)\n",
				strings.Join(p.Mapped, ", "))
		}
	}
	var off []string
	for _, f := range res.Features {
		if !f.Available {
			off = append(off, string(f.Feature))
		}
	}
	if len(off) > 0 {
		fmt.Fprintf(env.Stdout, "\noff until fixed: %s\n", strings.Join(off, ", "))
	}
}
