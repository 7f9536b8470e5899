package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/app"
)

// connectionPath resolves --connection (default: the server's default
// connection) to /api/v1/connections/ID.
func connectionPath(ctx context.Context, c *adminClient, f adminFlags) (string, error) {
	if *f.conn != "" {
		if _, err := strconv.ParseInt(*f.conn, 10, 64); err != nil {
			return "", usageError{fmt.Sprintf("--connection %q is not a connection id", *f.conn)}
		}
		return "/api/v1/connections/" + *f.conn, nil
	}
	data, _, err := c.do(ctx, "GET", "/api/v1/connections", nil, nil)
	if err != nil {
		return "", err
	}
	var list struct {
		Connections []app.ConnectionView `json:"connections"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return "", fmt.Errorf("unexpected answer from ferry: %w", err)
	}
	for _, v := range list.Connections {
		if v.Default {
			return "/api/v1/connections/" + strconv.FormatInt(v.ID, 10), nil
		}
	}
	return "", usageError{"this ferry has no default connection: name one with --connection ID"}
}

// connectionCommand parses a command that takes flags only and resolves
// its connection: the admin client and the connection's API path.
func connectionCommand(ctx context.Context, env *cliEnv, f adminFlags, args []string) (*adminClient, string, error) {
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return nil, "", err
	}
	if len(rest) != 0 {
		return nil, "", usageError{f.fs.Name() + " takes no arguments"}
	}
	c, err := newAdminClient(env)
	if err != nil {
		return nil, "", err
	}
	path, err := connectionPath(ctx, c, f)
	return c, path, err
}

func cmdResync(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "resync", `Usage: ferry resync [--wait] [flags]

Matches again every record that has no mapping: Intercom contacts with
Salesforce Leads and Contacts by the person key and, with account sync on,
companies with Accounts by the chosen field. Records that match nothing stay
as they are: nothing is created on either side. It runs in the background
within the API budget's backfill share, as the initial sync does; --wait
prints its progress until it is done.`)
	wait := f.fs.Bool("wait", false, "print progress until matching is done")
	c, path, err := connectionCommand(ctx, env, f, args)
	if err != nil {
		return err
	}
	data, _, err := c.do(ctx, "POST", path+"/resync", []byte(`{}`), nil)
	if err != nil {
		return err
	}
	for {
		var v app.ConnectionView
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("unexpected answer from ferry: %w", err)
		}
		if *f.asJSON {
			if err := writeIndented(env.Stdout, data); err != nil {
				return err
			}
		} else {
			printMatching(env, v)
		}
		if !*wait || !matchingRunning(v) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
		if data, _, err = c.do(ctx, "GET", path, nil, nil); err != nil {
			return err
		}
	}
}

func matchingRunning(v app.ConnectionView) bool {
	for _, p := range v.InitialSync {
		if p.State == "running" {
			return true
		}
	}
	return false
}

func printMatching(env *cliEnv, v app.ConnectionView) {
	for _, p := range v.InitialSync {
		line := fmt.Sprintf("connection %d matching %s: %s, %d processed, %d matched, %d to review", v.ID, p.Object, p.State,
			p.Processed, p.Matched, p.Ambiguous)
		if p.Message != "" {
			line += " (" + p.Message + ")"
		}
		fmt.Fprintln(env.Stdout, line)
	}
}

func cmdUninstall(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "uninstall", `Usage: ferry uninstall [--purge] [flags]

Disconnects a connection for good: revokes ferry's Salesforce token and its
Intercom token (uninstalling the app from the workspace), stops its work
and ignores its webhooks from then on. Its mappings, history and settings
are kept, so connecting again resumes where it stopped; with --purge every
row of the connection is deleted instead, and that cannot be undone.`)
	purge := f.fs.Bool("purge", false, "also delete every row of the connection (mappings, history, settings, errors)")
	c, path, err := connectionCommand(ctx, env, f, args)
	if err != nil {
		return err
	}
	data, _, err := c.do(ctx, "POST", path+"/disconnect", fmt.Appendf(nil, `{"purge":%t}`, *purge), nil)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return writeIndented(env.Stdout, data)
	}
	id := strings.TrimPrefix(path, "/api/v1/connections/")
	if *purge {
		fmt.Fprintf(env.Stdout, "connection %s uninstalled: both tokens revoked, every row of it deleted\n", id)
	} else {
		fmt.Fprintf(env.Stdout, "connection %s uninstalled: both tokens revoked; its data is kept (connect again to resume, or run ferry uninstall --purge to delete it)\n", id)
	}
	return nil
}

// cmdCheckAccounts is `ferry check accounts`.
func cmdCheckAccounts(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "check accounts", `Usage: ferry check accounts [flags]

Diagnoses account sync: whether companies are on in the Intercom workspace,
companies exist and change, Accounts change, a matching field is chosen and
companies are mapped by it. When none is mapped, it tries a sample of
companies' company_id against the Account's text fields and suggests the
field that matches the most. Exits 1 when there is a problem.`)
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{"check accounts takes no arguments"}
	}
	var d app.AccountDiagnosis
	printed, err := fetch(ctx, env, f, "/api/v1/diagnostics/accounts"+f.query(), &d)
	if err != nil {
		return err
	}
	if printed {
		return nil
	}
	printAccountDiagnosis(env, d)
	if !d.OK {
		return fmt.Errorf("%d account sync problem(s) on connection %d", len(d.Problems), d.ConnectionID)
	}
	return nil
}

func printAccountDiagnosis(env *cliEnv, d app.AccountDiagnosis) {
	if d.OK {
		fmt.Fprintf(env.Stdout, "connection %d: account sync works: %d companies mapped by Account.%s\n", d.ConnectionID, d.CompanyMappings, d.CompanyField)
		return
	}
	fmt.Fprintf(env.Stdout, "connection %d: %d account sync problem(s) (%d of %d companies read)\n", d.ConnectionID, len(d.Problems), d.CompaniesRead, d.CompaniesTotal)
	for _, p := range d.Problems {
		fmt.Fprintf(env.Stdout, "\n%s\n  fix: %s\n", p.Message, p.Fix)
	}
	if s := d.Suggestion; s != nil && len(s.Candidates) > 0 {
		fmt.Fprintf(env.Stdout, "\nAccount fields tried with %d sampled company_id values:\n", s.Sampled)
		for _, c := range s.Candidates {
			fmt.Fprintf(env.Stdout, "  %-30s %d matched\n", c.Field, c.Matched)
		}
	}
}
