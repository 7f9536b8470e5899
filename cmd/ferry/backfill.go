package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/ferrysync/ferry/internal/engine"
)

func cmdBackfill(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "backfill", `Usage: ferry backfill plan [flags]
       ferry backfill run [flags]
       ferry backfill status ID [flags]
       ferry backfill cancel ID [flags]

Pushes mapped values for records that are already matched. "plan" reads
both sides and shows, per field, how many values would change on each side
with examples, the API calls it costs and how long it takes, writing
nothing. "run" starts it; it runs in the background within the backfill
share of the Salesforce API budget and resumes by itself the next day when
that share is spent. In both directions, the side changed last wins.`)
	objects := f.fs.String("objects", "", "Salesforce objects, comma-separated: Lead, Contact, Account (default: all)")
	fields := f.fs.String("fields", "", "mapped fields, comma-separated, by Salesforce or Intercom name (default: all)")
	direction := f.fs.String("direction", "both", "to_salesforce, to_intercom or both")
	confirm := f.fs.String("confirm", "", "fields, comma-separated, whose existing values may be replaced in many records")
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return err
	}
	c, err := newAdminClient(env)
	if err != nil {
		return err
	}
	switch {
	case len(rest) == 1 && (rest[0] == "plan" || rest[0] == "run"):
		body := map[string]any{"objects": splitList(*objects), "fields": splitList(*fields), "direction": *direction,
			"confirm_fields": splitList(*confirm), "dry_run": rest[0] == "plan"}
		data, _ := json.Marshal(body)
		out, _, err := c.do(ctx, "POST", "/api/v1/backfills"+f.query(), data, nil)
		if err != nil {
			return err
		}
		if *f.asJSON {
			return writeIndented(env.Stdout, out)
		}
		if rest[0] == "run" {
			return printBackfill(env, out)
		}
		var plan engine.BackfillPlan
		if err := json.Unmarshal(out, &plan); err != nil {
			return fmt.Errorf("unexpected answer from ferry: %w", err)
		}
		printPlan(env, plan)
		return nil
	case len(rest) == 2 && (rest[0] == "status" || rest[0] == "cancel"):
		method, path := "GET", "/api/v1/backfills/"+url.PathEscape(rest[1])
		if rest[0] == "cancel" {
			method, path = "POST", path+"/cancel"
		}
		out, _, err := c.do(ctx, method, path+f.query(), nil, nil)
		if err != nil {
			return err
		}
		if *f.asJSON {
			return writeIndented(env.Stdout, out)
		}
		return printBackfill(env, out)
	}
	f.fs.Usage()
	return usageError{"want plan, run, status ID or cancel ID"}
}

func splitList(s string) []string {
	out := []string{}
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func printPlan(env *cliEnv, p engine.BackfillPlan) {
	fmt.Fprintf(env.Stdout, "%d matched pairs (%d could not be read); %d Salesforce and %d Intercom records would change\n",
		p.Pairs, p.Missing, p.SalesforceChanges, p.IntercomChanges)
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OBJECT\tFIELD\tATTRIBUTE\tTO SALESFORCE\tTO INTERCOM\tREPLACES VALUES\tEXAMPLE")
	for _, f := range p.Fields {
		example := ""
		if len(f.Samples) > 0 {
			s := f.Samples[0]
			example = fmt.Sprintf("%s: %v → %v", s.Side, s.Before, s.After)
		}
		mark := ""
		if f.NeedsConfirmation {
			mark = " (needs --confirm)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d of %d%s\t%s\n", f.Object, f.Field, f.Attribute, f.ToSalesforce, f.ToIntercom,
			f.Overwrites, f.Pairs, mark, example)
	}
	_ = tw.Flush()
	fmt.Fprintf(env.Stdout, "API calls: Salesforce %d (%d reads, %d writes), Intercom %d (%d reads, %d writes)\n",
		p.SalesforceCalls.Total, p.SalesforceCalls.Reads, p.SalesforceCalls.Writes, p.IntercomCalls.Total, p.IntercomCalls.Reads, p.IntercomCalls.Writes)
	switch {
	case p.Days < 0:
		fmt.Fprintln(env.Stdout, "budget: the API budget leaves the backfill no calls; raise the daily limit")
	case p.BudgetRemaining >= 0:
		fmt.Fprintf(env.Stdout, "budget: %d calls left today for backfills; needs %d day(s)\n", p.BudgetRemaining, p.Days)
	}
	fmt.Fprintf(env.Stdout, "estimated time: %.0f s\n", p.Seconds)
	if len(p.NeedsConfirmation) > 0 {
		fmt.Fprintf(env.Stdout, "to run it, confirm the fields whose existing values it replaces: --confirm %s\n", strings.Join(p.NeedsConfirmation, ","))
	}
}

func printBackfill(env *cliEnv, data []byte) error {
	var p engine.BackfillProgress
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("unexpected answer from ferry: %w", err)
	}
	fmt.Fprintf(env.Stdout, "backfill %d: %s, %d of %d pairs; changed %d Salesforce and %d Intercom records; %d failed; calls: Salesforce %d, Intercom %d\n",
		p.ID, p.State, p.PairsDone, p.PairsTotal, p.SalesforceChanges, p.IntercomChanges, p.Failed, p.SalesforceCalls, p.IntercomCalls)
	if p.ETASeconds != nil {
		fmt.Fprintf(env.Stdout, "about %.0f s left\n", *p.ETASeconds)
	}
	if p.Message != "" {
		fmt.Fprintln(env.Stdout, p.Message)
	}
	return nil
}
