package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
)

func cmdLeads(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "leads", `Usage: ferry leads create INTERCOM_CONTACT_ID [--name N] [--email E] [--phone P] [--company C] [flags]

Creates the Salesforce Lead of an Intercom contact, as the inbox app's
Create Lead button does: with the values of the Lead mappings that write to
Salesforce; name, email, phone and company from the contact unless given;
an email is required; required details the contact lacks are sent as
[not provided]; Lead Source as the settings say (Intercom by default); the
owner from the contact's Intercom owner when the settings ask for it. The
new Lead is mapped to the contact and synced once. Running it again, or for
a person already in Salesforce, creates nothing and prints the existing
record. INTERCOM_CONTACT_ID is the id in the address of the person's
profile in Intercom.`)
	name := f.fs.String("name", "", "the Lead's full name (default: the contact's)")
	email := f.fs.String("email", "", "the Lead's email (default: the contact's)")
	phone := f.fs.String("phone", "", "the Lead's phone (default: the contact's)")
	company := f.fs.String("company", "", "the Lead's company (default: the contact's first company)")
	target, err := createArg(f, args, "INTERCOM_CONTACT_ID")
	if err != nil {
		return err
	}
	var res app.LeadResult
	printed, err := postAction(ctx, env, f, "/api/v1/leads", app.LeadRequest{IntercomID: target, Name: *name, Email: *email,
		Phone: *phone, Company: *company}, &res)
	if err != nil || printed {
		return err
	}
	verb := "created"
	if res.Existed {
		verb = "already in Salesforce"
	}
	fmt.Fprintf(env.Stdout, "%s %s %s %s\n", res.Object, res.LeadID, verb, res.URL)
	if res.OwnerNote != "" {
		fmt.Fprintln(env.Stdout, res.OwnerNote)
	}
	return nil
}

func cmdTasks(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "tasks", `Usage: ferry tasks create CONVERSATION_ID [--part PART_ID] [--contact INTERCOM_CONTACT_ID] [flags]

Logs an Intercom conversation to Salesforce as a completed Task on the
person's Lead or Contact, with the same transcript as conversation Tasks,
as the inbox app's Log to Salesforce button does. --part logs one message
or note alone (its id is in the conversation's conversation_parts in
Intercom's API). Running it again creates nothing and prints the same
Task, as does logging a whole conversation ferry already keeps as a Task
(conversation Tasks in the settings). CONVERSATION_ID is the number at the end of the conversation's
address in Intercom's inbox.`)
	part := f.fs.String("part", "", "the one message or note to log (default: the whole conversation)")
	contact := f.fs.String("contact", "", "the person whose Lead or Contact gets the Task (default: the conversation's first contact)")
	target, err := createArg(f, args, "CONVERSATION_ID")
	if err != nil {
		return err
	}
	var res app.TaskResult
	printed, err := postAction(ctx, env, f, "/api/v1/tasks", app.TaskRequest{ConversationID: target, PartID: *part, IntercomID: *contact}, &res)
	if err != nil || printed {
		return err
	}
	verb := "created"
	switch {
	case res.Kept:
		verb = "already kept for the conversation by ferry"
	case res.Existed:
		verb = "already logged"
	}
	fmt.Fprintf(env.Stdout, "Task %s on %s %s %s\n", res.TaskID, res.WhoID, verb, res.URL)
	return nil
}

func cmdCases(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "cases", `Usage: ferry cases create CONVERSATION_ID --field NAME=VALUE… [--contact INTERCOM_CONTACT_ID] [--admin ADMIN_ID] [flags]

Creates a Salesforce Case on the Contact of a person in an Intercom
conversation, as the inbox app's New Case button does: --field gives a Case
field by its API name (Subject, Description, Priority, or another field of
the New Case form: cases.fields in ferry's settings); the fields Salesforce
requires must be given, and a missing one is named. The owner follows the settings (Salesforce's own case assignment, or
the teammate's Salesforce user), and a note with the case's link is added
to the conversation as the teammate (--admin, default the one who connected
Intercom). Running it again with the same values creates nothing and
prints the same Case. CONVERSATION_ID is the number at the end of the
conversation's address in Intercom's inbox.`)
	contact := f.fs.String("contact", "", "the person whose Contact gets the Case (default: the conversation's first contact)")
	admin := f.fs.String("admin", "", "the Intercom teammate creating the Case (default: the one who connected Intercom)")
	fields := map[string]string{}
	f.fs.Func("field", "a Case field as NAME=VALUE (repeatable)", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("want NAME=VALUE, got %q", s)
		}
		fields[strings.TrimSpace(name)] = value
		return nil
	})
	target, err := createArg(f, args, "CONVERSATION_ID")
	if err != nil {
		return err
	}
	var res app.CaseResult
	printed, err := postAction(ctx, env, f, "/api/v1/cases", app.CaseRequest{ConversationID: target, IntercomID: *contact, AdminID: *admin,
		Fields: fields}, &res)
	if err != nil || printed {
		return err
	}
	if res.Existed {
		fmt.Fprintf(env.Stdout, "Case %s already created %s\n", res.CaseID, res.URL)
		return nil
	}
	fmt.Fprintf(env.Stdout, "Case %s %s created on Contact %s %s\nOwner: %s. %s\n", res.CaseNumber, res.CaseID, res.ContactID, res.URL,
		nonEmptyOr(res.OwnerName, res.OwnerID), res.OwnerNote)
	if !res.NoteAdded && res.NoteProblem != "" {
		fmt.Fprintf(env.Stdout, "No note on the conversation: %s\n", res.NoteProblem)
	}
	return nil
}

func nonEmptyOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// createArg parses an inbox action's command line, "create WHAT", and
// returns WHAT.
func createArg(f adminFlags, args []string, what string) (string, error) {
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return "", err
	}
	if len(rest) != 2 || rest[0] != "create" {
		f.fs.Usage()
		return "", usageError{"want create " + what}
	}
	return rest[1], nil
}

// postAction POSTs an inbox action's request and prints the JSON answer
// with --json; otherwise decodes it into out for the caller to print.
func postAction(ctx context.Context, env *cliEnv, f adminFlags, path string, in, out any) (printed bool, err error) {
	body, err := json.Marshal(in)
	if err != nil {
		return false, err
	}
	c, err := newAdminClient(env)
	if err != nil {
		return false, err
	}
	data, _, err := c.do(ctx, "POST", path+f.query(), body, nil)
	if err != nil {
		return false, err
	}
	if *f.asJSON {
		return true, writeIndented(env.Stdout, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return false, fmt.Errorf("unexpected answer from ferry: %w", err)
	}
	return false, nil
}
