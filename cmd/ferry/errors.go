package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"
)

// syncErrorRow is the part of the admin API's sync error the CLI prints.
type syncErrorRow struct {
	ID          int64     `json:"id"`
	Object      string    `json:"object"`
	RecordID    string    `json:"record_id"`
	Operation   string    `json:"operation"`
	Code        string    `json:"code"`
	Message     string    `json:"message"`
	Details     string    `json:"details"`
	RequestBody string    `json:"request_body"`
	Attempts    int       `json:"attempts"`
	Retryable   bool      `json:"retryable"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func cmdErrors(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("errors", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	conn := fs.String("connection", "", "connection id (default: the default connection)")
	limit := fs.Int("limit", 50, "how many errors list shows")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage: ferry errors list [flags]
       ferry errors show ID [flags]
       ferry errors retry ID|all [flags]

Lists, shows and retries sync errors (failed writes to Salesforce)
through the admin API of the ferry at FERRY_PUBLIC_URL, authorized by
FERRY_ADMIN_TOKEN. A retry that succeeds removes the error.

Flags:`)
		fs.PrintDefaults()
	}
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		fs.Usage()
		return usageError{"want list, show or retry"}
	}
	c, err := newAdminClient(env)
	if err != nil {
		return err
	}
	q := url.Values{}
	if *conn != "" {
		q.Set("connection", *conn)
	}
	switch {
	case rest[0] == "list" && len(rest) == 1:
		q.Set("limit", strconv.Itoa(*limit))
		data, _, err := c.do(ctx, "GET", "/api/v1/sync-errors?"+q.Encode(), nil, nil)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeIndented(env.Stdout, data)
		}
		var page struct {
			SyncErrors []syncErrorRow `json:"sync_errors"`
			Total      int            `json:"total"`
		}
		if err := json.Unmarshal(data, &page); err != nil {
			return fmt.Errorf("unexpected answer from ferry: %w", err)
		}
		if page.Total == 0 {
			fmt.Fprintln(env.Stdout, "no sync errors")
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tWHEN\tRECORD\tOPERATION\tCODE\tMESSAGE")
		for _, e := range page.SyncErrors {
			fmt.Fprintf(tw, "%d\t%s\t%s %s\t%s\t%s\t%s\n", e.ID, e.UpdatedAt.Local().Format(time.DateTime),
				e.Object, e.RecordID, e.Operation, e.Code, oneLine(e.Message, 80))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if page.Total > len(page.SyncErrors) {
			fmt.Fprintf(env.Stdout, "(%d of %d shown)\n", len(page.SyncErrors), page.Total)
		}
		return nil
	case rest[0] == "show" && len(rest) == 2:
		data, _, err := c.do(ctx, "GET", "/api/v1/sync-errors/"+url.PathEscape(rest[1])+"?"+q.Encode(), nil, nil)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeIndented(env.Stdout, data)
		}
		var e syncErrorRow
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("unexpected answer from ferry: %w", err)
		}
		fmt.Fprintf(env.Stdout, "error %d: %s %s, %s\n  when:     %s (%d attempts)\n  code:     %s\n  message:  %s\n",
			e.ID, e.Object, e.RecordID, e.Operation, e.UpdatedAt.Local().Format(time.DateTime), e.Attempts, e.Code, e.Message)
		if e.Details != "" {
			fmt.Fprintf(env.Stdout, "  details:  %s\n", e.Details)
		}
		if e.RequestBody != "" {
			fmt.Fprintf(env.Stdout, "  request:  %s\n", e.RequestBody)
		}
		fmt.Fprintf(env.Stdout, "  retry:    %s\n", map[bool]string{true: "ferry errors retry " + rest[1], false: "not retryable"}[e.Retryable])
		return nil
	case rest[0] == "retry" && len(rest) == 2:
		path := "/api/v1/sync-errors/" + url.PathEscape(rest[1]) + "/retry"
		if rest[1] == "all" {
			path = "/api/v1/sync-errors/retry"
		}
		data, _, err := c.do(ctx, "POST", path+"?"+q.Encode(), nil, nil)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeIndented(env.Stdout, data)
		}
		var all struct {
			Retried    *int `json:"retried"`
			WithoutJob int  `json:"without_job"`
		}
		if json.Unmarshal(data, &all) == nil && all.Retried != nil {
			fmt.Fprintf(env.Stdout, "%d sync error(s) queued for retry", *all.Retried)
			if all.WithoutJob > 0 {
				fmt.Fprintf(env.Stdout, "; %d cannot be retried", all.WithoutJob)
			}
			fmt.Fprintln(env.Stdout)
			return nil
		}
		fmt.Fprintf(env.Stdout, "sync error %s queued for retry\n", rest[1])
		return nil
	default:
		fs.Usage()
		return usageError{fmt.Sprintf("unknown errors action %q", rest)}
	}
}

// oneLine shortens s to at most n runes on one line, for tables.
func oneLine(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\r' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}
