package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferrysync/ferry/internal/app"
)

// adminFlags are the flags every admin API command takes.
type adminFlags struct {
	fs     *flag.FlagSet
	conn   *string
	asJSON *bool
}

// newAdminFlags returns a command's flag set with --connection and --json
// and usage as its help text (its flags are listed after it).
func newAdminFlags(env *cliEnv, name, usage string) adminFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f := adminFlags{fs: fs,
		conn:   fs.String("connection", "", "connection id (default: the default connection)"),
		asJSON: fs.Bool("json", false, "print the API's JSON"),
	}
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, usage+"\n\nThrough the admin API of the ferry at FERRY_PUBLIC_URL, authorized by\nFERRY_ADMIN_TOKEN.\n\nFlags:")
		fs.PrintDefaults()
	}
	return f
}

// query is the connection parameter plus more.
func (f adminFlags) query(kv ...string) string {
	q := url.Values{}
	if *f.conn != "" {
		q.Set("connection", *f.conn)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// fetch GETs path and prints the JSON with --json; otherwise decodes it
// into v for the caller to print.
func fetch(ctx context.Context, env *cliEnv, f adminFlags, path string, v any) (printed bool, err error) {
	c, err := newAdminClient(env)
	if err != nil {
		return false, err
	}
	data, _, err := c.do(ctx, "GET", path, nil, nil)
	if err != nil {
		return false, err
	}
	if *f.asJSON {
		return true, writeIndented(env.Stdout, data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("unexpected answer from ferry: %w", err)
	}
	return false, nil
}

// connectionRow is what the CLI prints of a connection.
type connectionRow struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Default      bool   `json:"default"`
	State        string `json:"state"`
	Cause        string `json:"cause"`
	CauseMessage string `json:"cause_message"`
	Salesforce   struct {
		HasCredentials bool   `json:"has_credentials"`
		OrgID          string `json:"org_id"`
		InstanceURL    string `json:"instance_url"`
	} `json:"salesforce"`
	Intercom struct {
		HasCredentials bool   `json:"has_credentials"`
		WorkspaceID    string `json:"workspace_id"`
	} `json:"intercom"`
	Mappings    map[string]int `json:"mappings"`
	InitialSync []struct {
		Object    string `json:"object"`
		State     string `json:"state"`
		Processed int64  `json:"processed"`
	} `json:"initial_sync"`
	Sync struct {
		Stalled bool `json:"stalled"`
		Reasons []struct {
			Code    string    `json:"code"`
			Message string    `json:"message"`
			Since   time.Time `json:"since"`
		} `json:"reasons"`
		LastPoll       *time.Time `json:"last_successful_poll"`
		PendingChanges int        `json:"pending_changes"`
	} `json:"sync"`
}

func (c connectionRow) health() string {
	switch {
	case c.State != "connected":
		return c.State + map[bool]string{true: " (" + c.Cause + ")", false: ""}[c.Cause != ""]
	case c.Sync.Stalled:
		codes := make([]string, 0, len(c.Sync.Reasons))
		for _, r := range c.Sync.Reasons {
			codes = append(codes, r.Code)
		}
		return "connected, stalled (" + strings.Join(codes, ", ") + ")"
	}
	return "connected, syncing"
}

func cmdConnections(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "connections", `Usage: ferry connections [list] [flags]
       ferry connections show ID [flags]

Lists the connections with their health, or shows one: its state and
cause, whether sync is stalled and why, both sides, mappings and the
initial sync.`)
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 0 || (rest[0] == "list" && len(rest) == 1):
		var list struct {
			Connections []connectionRow `json:"connections"`
		}
		if printed, err := fetch(ctx, env, f, "/api/v1/connections", &list); err != nil || printed {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tHEALTH\tPEOPLE\tCOMPANIES")
		for _, c := range list.Connections {
			name := c.Name
			if c.Default {
				name += " (default)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\n", c.ID, name, c.health(), c.Mappings["person"], c.Mappings["company"])
		}
		return tw.Flush()
	case rest[0] == "show" && len(rest) == 2:
		var c connectionRow
		if printed, err := fetch(ctx, env, f, "/api/v1/connections/"+url.PathEscape(rest[1]), &c); err != nil || printed {
			return err
		}
		w := env.Stdout
		fmt.Fprintf(w, "connection %d: %s\n  health:      %s\n", c.ID, c.Name, c.health())
		if c.CauseMessage != "" {
			fmt.Fprintf(w, "  why:         %s\n", c.CauseMessage)
		}
		for _, r := range c.Sync.Reasons {
			fmt.Fprintf(w, "  stalled:     %s since %s: %s\n", r.Code, r.Since.Local().Format(time.DateTime), r.Message)
		}
		if c.Sync.LastPoll != nil {
			fmt.Fprintf(w, "  last poll:   %s\n", c.Sync.LastPoll.Local().Format(time.DateTime))
		}
		fmt.Fprintf(w, "  pending:     %d Intercom change(s)\n", c.Sync.PendingChanges)
		fmt.Fprintf(w, "  salesforce:  %s\n", side(c.Salesforce.HasCredentials, c.Salesforce.OrgID+" "+c.Salesforce.InstanceURL))
		fmt.Fprintf(w, "  intercom:    %s\n", side(c.Intercom.HasCredentials, c.Intercom.WorkspaceID))
		fmt.Fprintf(w, "  mapped:      %d people, %d companies\n", c.Mappings["person"], c.Mappings["company"])
		for _, is := range c.InitialSync {
			fmt.Fprintf(w, "  initial:     %s %s (%d processed)\n", is.Object, is.State, is.Processed)
		}
		return nil
	}
	f.fs.Usage()
	return usageError{"want list or show ID"}
}

func side(connected bool, id string) string {
	if !connected {
		return "not connected"
	}
	return "connected " + strings.TrimSpace(id)
}

// historyEntry is what the CLI prints of a history entry.
type historyEntry struct {
	Object       string          `json:"object"`
	IntercomID   string          `json:"intercom_id"`
	SalesforceID string          `json:"salesforce_id"`
	Origin       string          `json:"origin"`
	Rule         string          `json:"rule"`
	Outcome      string          `json:"outcome"`
	Message      string          `json:"message"`
	Changes      json.RawMessage `json:"changes"`
	CreatedAt    time.Time       `json:"created_at"`
}

func cmdHistory(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "history", `Usage: ferry history EMAIL|ID [flags]

Shows what ferry did to a record, newest first: found by the email it was
matched on, or by its Intercom or Salesforce id.`)
	limit := f.fs.Int("limit", 50, "how many entries per record")
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		f.fs.Usage()
		return usageError{"want one email or record id"}
	}
	var page struct {
		Records []struct {
			Record  string         `json:"record"`
			History []historyEntry `json:"history"`
		} `json:"records"`
	}
	if printed, err := fetch(ctx, env, f, "/api/v1/history"+f.query("q", rest[0], "limit", strconv.Itoa(*limit)), &page); err != nil || printed {
		return err
	}
	if len(page.Records) == 0 {
		fmt.Fprintf(env.Stdout, "no record matched %s\n", rest[0])
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, r := range page.Records {
		fmt.Fprintf(tw, "record %s\n", r.Record)
		if len(r.History) == 0 {
			fmt.Fprintln(tw, "  (no history)")
		}
		for _, h := range r.History {
			what := h.Rule
			if c := changesText(h.Changes); c != "" {
				what = c + " — " + what
			}
			if h.Message != "" {
				what += " — " + h.Message
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %s/%s\t%s\n", h.CreatedAt.Local().Format(time.DateTime), h.Origin, h.Outcome,
				h.Object, orDash(h.IntercomID), orDash(h.SalesforceID), oneLine(what, 100))
		}
	}
	return tw.Flush()
}

// changesText renders a history entry's changes as "Salesforce Title="CTO"".
func changesText(raw json.RawMessage) string {
	var parts []string
	for _, c := range app.Changes(raw) {
		parts = append(parts, fmt.Sprintf("%s%s %s=%s", strings.ToUpper(c.Side[:1]), c.Side[1:], c.Field, c.Value))
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmdUsage(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "usage", `Usage: ferry usage [flags]

Shows the Salesforce API calls ferry made per UTC day and purpose, and the
org's own usage when ferry has seen it.`)
	days := f.fs.Int("days", 7, "how many days back")
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return usageError{"usage takes no arguments"}
	}
	var u struct {
		Days []struct {
			Day       string           `json:"day"`
			Total     int64            `json:"total"`
			ByPurpose map[string]int64 `json:"by_purpose"`
		} `json:"days"`
		Org *struct {
			Used, Max, Remaining int
		} `json:"org"`
	}
	if printed, err := fetch(ctx, env, f, "/api/v1/usage"+f.query("days", strconv.Itoa(*days)), &u); err != nil || printed {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tCALLS\tBY PURPOSE")
	for _, d := range u.Days {
		purposes := make([]string, 0, len(d.ByPurpose))
		for p, n := range d.ByPurpose {
			purposes = append(purposes, fmt.Sprintf("%s %d", p, n))
		}
		sort.Strings(purposes)
		fmt.Fprintf(tw, "%s\t%d\t%s\n", d.Day, d.Total, strings.Join(purposes, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if u.Org != nil && u.Org.Max > 0 {
		fmt.Fprintf(env.Stdout, "org: %d of %d calls used in the last 24 hours (all apps), %d remaining\n", u.Org.Used, u.Org.Max, u.Org.Remaining)
	}
	return nil
}

func cmdReviews(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "reviews", `Usage: ferry reviews [list] [--all] [flags]
       ferry reviews resolve ID RECORD_ID [flags]
       ferry reviews skip ID [flags]

Ambiguous matches: an Intercom person that matched several Salesforce
records, or a Salesforce Lead or Contact that several Intercom people
match, is not mapped until you pick one of the candidates (resolve with
its id) or leave it unmapped (skip).`)
	all := f.fs.Bool("all", false, "list resolved reviews too")
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 0 || (rest[0] == "list" && len(rest) == 1):
		var list reviewList
		q := f.query()
		if *all {
			q = f.query("resolved", "true")
		}
		if printed, err := fetch(ctx, env, f, "/api/v1/reviews"+q, &list); err != nil || printed {
			return err
		}
		if len(list.Reviews) == 0 {
			fmt.Fprintln(env.Stdout, "nothing to review")
			return nil
		}
		for _, r := range list.Reviews {
			if r.SalesforceID != "" {
				fmt.Fprintf(env.Stdout, "review %d: Salesforce %s %s: %s\n", r.ID, r.SalesforceObject, r.SalesforceID, r.Reason)
			} else {
				fmt.Fprintf(env.Stdout, "review %d: Intercom %s: %s\n", r.ID, r.IntercomID, r.Reason)
			}
			for _, c := range r.Candidates {
				if c.Role != "" {
					fmt.Fprintf(env.Stdout, "  candidate Intercom %s %s %s\n", c.Role, c.ID, c.Email)
					continue
				}
				fmt.Fprintf(env.Stdout, "  candidate %s %s %s\n", c.Object, c.ID, c.Key)
			}
			if r.Resolution != "" {
				fmt.Fprintf(env.Stdout, "  resolved: %s\n", r.Resolution)
			} else if len(r.Candidates) > 0 {
				fmt.Fprintf(env.Stdout, "  pick one: ferry reviews resolve %d %s\n", r.ID, r.Candidates[0].ID)
			}
		}
		return nil
	case (rest[0] == "resolve" && len(rest) == 3) || (rest[0] == "skip" && len(rest) == 2):
		c, err := newAdminClient(env)
		if err != nil {
			return err
		}
		body := map[string]any{"skip": true}
		if rest[0] == "resolve" {
			// The pick is a Salesforce record or an Intercom person, as
			// the review's candidates are.
			field := "salesforce_id"
			var open reviewList
			if raw, _, err := c.do(ctx, "GET", "/api/v1/reviews"+f.query(), nil, nil); err == nil && json.Unmarshal(raw, &open) == nil {
				for _, r := range open.Reviews {
					if strconv.FormatInt(r.ID, 10) == rest[1] && r.CandidatesIn == "intercom" {
						field = "intercom_id"
					}
				}
			}
			body = map[string]any{field: rest[2]}
		}
		data, _ := json.Marshal(body)
		out, _, err := c.do(ctx, "POST", "/api/v1/reviews/"+url.PathEscape(rest[1])+"/resolve"+f.query(), data, nil)
		if err != nil {
			return err
		}
		if *f.asJSON {
			return writeIndented(env.Stdout, out)
		}
		fmt.Fprintf(env.Stdout, "review %s %s\n", rest[1], map[bool]string{true: "resolved: " + strings.Join(rest[2:], ""), false: "skipped"}[rest[0] == "resolve"])
		return nil
	}
	f.fs.Usage()
	return usageError{"want list, resolve ID RECORD_ID or skip ID"}
}

// reviewList is the answer of GET /api/v1/reviews.
type reviewList struct {
	Reviews []struct {
		ID               int64  `json:"id"`
		IntercomID       string `json:"intercom_id"`
		SalesforceObject string `json:"salesforce_object"`
		SalesforceID     string `json:"salesforce_id"`
		CandidatesIn     string `json:"candidates_in"`
		Reason           string `json:"reason"`
		Candidates       []struct {
			ID     string `json:"id"`
			Object string `json:"object"`
			Key    string `json:"key"`
			Role   string `json:"role"`
			Email  string `json:"email"`
		} `json:"candidates"`
		Resolution string `json:"resolution"`
	} `json:"reviews"`
}
