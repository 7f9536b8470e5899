package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ferrysync/ferry/internal/app"
)

func cmdLeads(ctx context.Context, args []string, env *cliEnv) error {
	f := newAdminFlags(env, "leads", `Usage: ferry leads create INTERCOM_CONTACT_ID [--name N] [--email E] [--phone P] [--company C] [flags]

Creates the Salesforce Lead of an Intercom contact, as the inbox app's
Create Lead button does: name, email, phone and company come from the
contact unless given; an email is required; required details the contact
lacks are sent as [not provided]; LeadSource is Intercom. The new Lead is
mapped to the contact and synced once. Running it again, or for a person
already in Salesforce, creates nothing and prints the existing record.`)
	name := f.fs.String("name", "", "the Lead's full name (default: the contact's)")
	email := f.fs.String("email", "", "the Lead's email (default: the contact's)")
	phone := f.fs.String("phone", "", "the Lead's phone (default: the contact's)")
	company := f.fs.String("company", "", "the Lead's company (default: the contact's first company)")
	rest, err := parseArgs(f.fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 || rest[0] != "create" {
		f.fs.Usage()
		return usageError{"want create INTERCOM_CONTACT_ID"}
	}
	body, _ := json.Marshal(app.LeadRequest{IntercomID: rest[1], Name: *name, Email: *email, Phone: *phone, Company: *company})
	c, err := newAdminClient(env)
	if err != nil {
		return err
	}
	out, _, err := c.do(ctx, "POST", "/api/v1/leads"+f.query(), body, nil)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return writeIndented(env.Stdout, out)
	}
	var res app.LeadResult
	if err := json.Unmarshal(out, &res); err != nil {
		return fmt.Errorf("unexpected answer from ferry: %w", err)
	}
	verb := "created"
	if res.Existed {
		verb = "already in Salesforce"
	}
	fmt.Fprintf(env.Stdout, "%s %s %s %s\n", res.Object, res.LeadID, verb, res.URL)
	return nil
}
