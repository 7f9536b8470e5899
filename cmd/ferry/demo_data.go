package main

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// seedSharedCustomers adds to both demo emulators the same people and
// companies seen from each side — what a real workspace and org that have
// been used side by side look like — so that the demo's initial sync has
// something to match: leads ↔ Leads, users ↔ Contacts, companies ↔ Accounts
// (on AccountNumber, as the sample settings say), values present on one side
// only that the first sync fills in on the other, and one person with two
// Salesforce Leads, which goes to the review list (F2.2).
//
// It returns the Intercom ids of Grace Hopper, the lead whose conversation
// the demo logs as a Salesforce Task, of Ken Thompson, a Contact at
// Initech with Opportunities and an open Case, whom the inbox app shows,
// and of Dana Scully, whom two Salesforce Leads match.
func seedSharedCustomers(sf *sfemu.Server, ic *icemu.Server) (grace, ken, dana string, err error) {
	type person struct {
		first, last, email, phone, title, company string
		lead                                      bool
	}
	people := []person{
		{"Grace", "Hopper", "grace.hopper@acme-robotics.example", "+1 415 555 0101", "", "Acme Robotics", true},
		{"Alan", "Kay", "alan.kay@globex.example", "", "VP Engineering", "Globex Logistics", true},
		{"Ada", "Byron", "ada.byron@initech.example", "+44 20 7946 0102", "CTO", "Initech", true},
		{"Edsger", "Dijkstra", "edsger@acme-robotics.example", "+31 20 555 0103", "", "Acme Robotics", false},
		{"Barbara", "Liskov", "barbara.liskov@globex.example", "", "Head of Operations", "Globex Logistics", false},
		{"Ken", "Thompson", "ken@initech.example", "+1 650 555 0104", "Founder", "Initech", false},
	}
	var contacts []icemu.ContactSeed
	var leads, sfContacts []map[string]any
	for _, p := range people {
		c := icemu.ContactSeed{Email: p.email, Name: p.first + " " + p.last, Phone: p.phone, Role: "user"}
		sfRec := map[string]any{"FirstName": p.first, "LastName": p.last, "Email": p.email}
		if p.title != "" {
			sfRec["Title"] = p.title // Salesforce knows the title; Intercom learns it
		}
		if p.lead {
			c.Role = "lead"
			sfRec["Company"] = p.company
			sfRec["Status"] = "Working - Contacted"
			leads = append(leads, sfRec)
		} else {
			sfContacts = append(sfContacts, sfRec)
		}
		contacts = append(contacts, c)
	}
	// One Intercom lead matches two Salesforce Leads: ambiguous, so ferry
	// maps neither and lists it for the admin to pick.
	contacts = append(contacts, icemu.ContactSeed{Role: "lead", Email: "dana.scully@umbrella-health.example", Name: "Dana Scully"})
	for _, company := range []string{"Umbrella Health", "Umbrella Health (EMEA)"} {
		leads = append(leads, map[string]any{"FirstName": "Dana", "LastName": "Scully",
			"Email": "dana.scully@umbrella-health.example", "Company": company, "Status": "Open - Not Contacted"})
	}
	icIDs, err := ic.BulkLoadContacts(contacts)
	if err != nil {
		return "", "", "", fmt.Errorf("demo: Intercom contacts: %w", err)
	}
	if _, err := sf.LoadRecords("Lead", leads); err != nil {
		return "", "", "", fmt.Errorf("demo: Salesforce leads: %w", err)
	}
	// The Intercom demo workspace's companies, as Accounts keyed by
	// AccountNumber = company_id. Initech and its deals belong to one of
	// the org's account executives, as the inbox app shows beside Ken.
	accounts := []map[string]any{
		{"Name": "Acme Robotics", "AccountNumber": "acme-001", "Industry": "Manufacturing", "Website": "https://acme-robotics.example", "BillingCountry": "United States"},
		{"Name": "Globex Logistics", "AccountNumber": "globex-002", "Website": "https://globex.example", "BillingCountry": "Germany"},
		{"Name": "Initech", "AccountNumber": "initech-003", "Industry": "Technology", "Website": "https://www.initech.example", "BillingCountry": "United States"},
	}
	owned := map[string]any{}
	for _, u := range sf.Records("User") {
		if u["Email"] == "priya.patel@example.com" {
			owned["OwnerId"] = u["Id"]
		}
	}
	maps.Copy(accounts[2], owned)
	accountIDs, err := sf.LoadRecords("Account", accounts)
	if err != nil {
		return "", "", "", fmt.Errorf("demo: Salesforce accounts: %w", err)
	}
	// Each Contact works at its company's Account, so the inbox app shows
	// the Account, its Opportunities and the Contact's open Cases.
	byCompany := map[string]string{"Acme Robotics": accountIDs[0], "Globex Logistics": accountIDs[1], "Initech": accountIDs[2]}
	i := 0
	for _, p := range people {
		if !p.lead {
			sfContacts[i]["AccountId"] = byCompany[p.company]
			i++
		}
	}
	contactIDs, err := sf.LoadRecords("Contact", sfContacts)
	if err != nil {
		return "", "", "", fmt.Errorf("demo: Salesforce contacts: %w", err)
	}
	kenID := contactIDs[len(contactIDs)-1]
	opps := []map[string]any{
		{"Name": "Initech — Platform renewal", "AccountId": accountIDs[2], "StageName": "Negotiation/Review", "CloseDate": time.Now().AddDate(0, 1, 0).Format("2006-01-02"), "Amount": 48000.0},
		{"Name": "Initech — Support add-on", "AccountId": accountIDs[2], "StageName": "Prospecting", "CloseDate": time.Now().AddDate(0, 3, 0).Format("2006-01-02"), "Amount": 9500.0},
	}
	for _, o := range opps {
		maps.Copy(o, owned)
	}
	if _, err := sf.LoadRecords("Opportunity", opps); err != nil {
		return "", "", "", fmt.Errorf("demo: Salesforce opportunities: %w", err)
	}
	// The org requires a Product on every Case, as many orgs add a
	// required field of their own: the inbox app's New Case form marks it.
	if err := sf.AddField(sfemu.FieldSpec{Object: "Case", Name: "Product__c", Type: "picklist", Label: "Product", Required: true,
		PicklistValues: []string{"Platform", "Reporting", "Integrations"}, RestrictedPicklist: true}); err != nil {
		return "", "", "", fmt.Errorf("demo: Salesforce Case field: %w", err)
	}
	if _, err := sf.LoadRecords("Case", []map[string]any{
		{"Subject": "TPS report export times out", "ContactId": kenID, "Status": "Working", "Priority": "High", "Origin": "Email", "Product__c": "Reporting"},
	}); err != nil {
		return "", "", "", fmt.Errorf("demo: Salesforce cases: %w", err)
	}
	return icIDs[0], icIDs[5], icIDs[6], nil
}

// demoConversation has Grace Hopper (a lead on both sides) write in; a
// teammate whose email is a Salesforce User's (James Chen, the org's sales
// manager) takes the conversation, leaves a note and closes it. ferry logs
// it as a completed Task on her Lead, owned by James's User.
func demoConversation(ic *icemu.Server, contactID string) error {
	james, err := ic.AddTeammate("James Chen", "james.chen@example.com")
	if err != nil {
		return err
	}
	conv, err := ic.StartConversation(contactID, "<p>Hi! Our robot fleet stopped syncing 🤖</p><p>Can someone help?</p>")
	if err != nil {
		return err
	}
	n, _ := strconv.ParseInt(james, 10, 64)
	if err := ic.AssignConversation(conv, n, ""); err != nil {
		return err
	}
	if err := ic.UserReply(conv, "It started this morning, screenshot: https://example.com/fleet.png"); err != nil {
		return err
	}
	return ic.CloseConversation(conv, james)
}

// demoInbox sets the scene for the inbox app: Ken Thompson (a Contact at
// Initech) asks about his renewal, Nina Newcomer, a visitor Salesforce
// does not know yet, asks about a team plan, Dana Scully (two Salesforce
// Leads) asks for an invoice, and a visitor who left no email asks about
// a trial.
func demoInbox(ic *icemu.Server, ken, dana string) error {
	if _, err := ic.StartConversation(dana, "<p>Could you send me last month's invoice again?</p>"); err != nil {
		return err
	}
	visitor, err := ic.MessengerCreateContact(map[string]any{"role": "lead", "name": "Leo Park"})
	if err != nil {
		return err
	}
	if _, err := ic.StartConversation(visitor, "<p>Hi, is there a free trial?</p>"); err != nil {
		return err
	}
	if _, err := ic.StartConversation(ken, "<p>Hi, can you check where our renewal stands? Our TPS export case is still open too.</p>"); err != nil {
		return err
	}
	nina, err := ic.MessengerCreateContact(map[string]any{"role": "lead", "name": "Nina Newcomer", "email": "nina@newco.example",
		"phone": "+351 555 0101"})
	if err != nil {
		return err
	}
	_, err = ic.StartConversation(nina, "<p>Hello! Do you offer a team plan for 25 people? 🙂</p>")
	return err
}
