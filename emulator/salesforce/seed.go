package salesforce

import (
	"fmt"
	"strings"
)

// seedLoginUser creates the login (API) user; its email is its username.
func (s *Server) seedLoginUser() {
	s.userID = makeID("005", 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &txn{s: s, write: true}
	profiles := s.seedProfiles(tx)
	alias := s.opts.Username
	if i := strings.IndexByte(alias, '@'); i > 0 {
		alias = alias[:i]
	}
	if len(alias) > 8 {
		alias = alias[:8]
	}
	if _, err := tx.create(s.tables["user"], map[string]any{
		"Id": s.userID, "Username": s.opts.Username, "Email": s.opts.Username, "FirstName": "Admin",
		"LastName": "User", "Alias": alias, "Title": "System Administrator", "IsActive": true,
		"ProfileId": profiles[ProfileSystemAdministrator],
	}, modeLoad); err != nil {
		panic(fmt.Sprintf("salesforce: seeding the login user: %v", err)) // a bug in the schema, not input
	}
}

// seedDemo fills the org with a small, believable sales and support
// operation. It is deterministic.
func (s *Server) seedDemo() {
	must := func(id string, err error) string {
		if err != nil {
			panic(fmt.Sprintf("salesforce: demo seed: %v", err)) // a bug in the seed data, not input
		}
		return id
	}
	create := func(object string, f map[string]any) string { return must(s.CreateRecord(object, f)) }

	roles := map[string]string{}
	for _, r := range []string{"CEO", "VP Sales", "Sales Manager", "Account Executive", "Support Manager", "Support Agent"} {
		roles[r] = create("UserRole", map[string]any{"Name": r})
	}
	_ = s.UpdateRecord("User", s.userID, map[string]any{"UserRoleId": roles["CEO"]})
	type person struct{ first, last, title, role, dept string }
	staff := []person{
		{"Maria", "Garcia", "VP of Sales", "VP Sales", "Sales"},
		{"James", "Chen", "Sales Manager, EMEA", "Sales Manager", "Sales"},
		{"Priya", "Patel", "Account Executive", "Account Executive", "Sales"},
		{"Tom", "Becker", "Account Executive", "Account Executive", "Sales"},
		{"Aisha", "Okafor", "Head of Customer Support", "Support Manager", "Support"},
		{"Lucas", "Martin", "Support Engineer", "Support Agent", "Support"},
	}
	var users []string
	for _, p := range staff {
		email := strings.ToLower(p.first+"."+p.last) + "@example.com"
		users = append(users, create("User", map[string]any{
			"Username": email, "Email": email, "FirstName": p.first, "LastName": p.last,
			"Alias": strings.ToLower(p.first[:1] + p.last)[:min(8, len(p.last)+1)], "Title": p.title,
			"Department": p.dept, "UserRoleId": roles[p.role], "IsActive": true, "TimeZoneSidKey": "Europe/London",
		}))
	}
	sales, support := users[:4], users[4:]

	type company struct{ name, domain, industry, city, country, typ string }
	companies := []company{
		{"Acme Corporation", "acme.example", "Manufacturing", "Chicago", "United States", "Customer - Direct"},
		{"Globex", "globex.example", "Energy", "Springfield", "United States", "Customer - Direct"},
		{"Initech", "initech.example", "Technology", "Austin", "United States", "Prospect"},
		{"Umbrella Health", "umbrella.example", "Healthcare", "London", "United Kingdom", "Customer - Channel"},
		{"Stark Logistics", "stark.example", "Technology", "New York", "United States", "Prospect"},
		{"Wayne Retail", "wayne.example", "Retail", "Gotham", "United States", "Customer - Direct"},
		{"Nordwind Bank", "nordwind.example", "Banking", "Hamburg", "Germany", "Prospect"},
		{"Soleil Media", "soleil.example", "Media", "Paris", "France", "Channel Partner / Reseller"},
	}
	firsts := []string{"Olivia", "Noah", "Emma", "Liam", "Sofia", "Mateo", "Chloe", "Ethan", "Hana", "Yusuf", "Lena", "Arjun", "Grace", "Diego", "Mia", "Kenji", "Zoe", "Omar", "Ines", "Felix", "Nora", "Samuel", "Ava", "Leo"}
	lasts := []string{"Smith", "Johnson", "Brown", "Rossi", "Dubois", "Müller", "Kowalski", "Tanaka", "Silva", "Nguyen", "Andersson", "O'Brien", "Haddad", "Novak", "Costa", "Schmidt", "Kim", "Ivanova", "Larsen", "Moreau", "Reyes", "Fischer", "Ali", "Walsh"}
	titles := []string{"CTO", "Head of Operations", "Procurement Lead", "VP Engineering", "Office Manager", "Customer Success Lead"}

	var accounts []string
	contactsByAcct := map[string][]string{}
	n := 0
	for i, c := range companies {
		acct := create("Account", map[string]any{
			"Name": c.name, "Industry": c.industry, "Website": "https://www." + c.domain, "Type": c.typ,
			"BillingCity": c.city, "BillingCountry": c.country, "Phone": fmt.Sprintf("+1 555 010 %04d", 1000+i),
			"NumberOfEmployees": 50 * (i + 1), "OwnerId": sales[i%len(sales)],
		})
		accounts = append(accounts, acct)
		for j := 0; j < 3; j++ {
			first, last := firsts[n%len(firsts)], lasts[(n*7)%len(lasts)]
			n++
			contactsByAcct[acct] = append(contactsByAcct[acct], create("Contact", map[string]any{
				"AccountId": acct, "FirstName": first, "LastName": last, "Title": titles[(i+j)%len(titles)],
				"Email": emailLocal(first, last) + "@" + c.domain,
				"Phone": fmt.Sprintf("+1 555 020 %04d", n), "LeadSource": []string{"Web", "Partner Referral", "Phone Inquiry"}[j],
				"MailingCity": c.city, "MailingCountry": c.country, "OwnerId": sales[(i+j)%len(sales)],
			}))
		}
	}

	statuses := []string{"Open - Not Contacted", "Working - Contacted", "Working - Contacted", "Closed - Not Converted", "Open - Not Contacted"}
	sources := []string{"Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"}
	leadCompanies := []string{"Bluebird Travel", "Cobalt Robotics", "Driftwood Cafés", "Evergreen Schools", "Falcon Freight", "Granite Insurance", "Harbor Clinics", "Ivory Studios", "Juniper Labs", "Kestrel Air"}
	var leads []string
	for i := 0; i < 30; i++ {
		first, last := firsts[(i*5+3)%len(firsts)], lasts[(i*11+2)%len(lasts)]
		co := leadCompanies[i%len(leadCompanies)]
		domain := strings.ToLower(strings.Fields(co)[0]) + ".example"
		leads = append(leads, create("Lead", map[string]any{
			"FirstName": first, "LastName": last, "Company": co, "Title": titles[i%len(titles)],
			"Email":  emailLocal(first, last) + fmt.Sprintf("%d@%s", i, domain),
			"Status": statuses[i%len(statuses)], "LeadSource": sources[i%len(sources)],
			"Rating": []string{"Hot", "Warm", "Cold"}[i%3], "City": companies[i%len(companies)].city,
			"Country": companies[i%len(companies)].country, "OwnerId": sales[i%len(sales)],
		}))
	}

	stages := []string{"Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost", "Closed Won", "Value Proposition", "Id. Decision Makers"}
	roleNames := []string{"Decision Maker", "Economic Buyer", "Technical Buyer", "Evaluator", "Influencer"}
	var opps []string
	for i, stage := range stages {
		acct := accounts[i%len(accounts)]
		opp := create("Opportunity", map[string]any{
			"Name":      companies[i%len(companies)].name + " — " + []string{"Platform licence", "Expansion", "Renewal", "Pilot"}[i%4],
			"AccountId": acct, "StageName": stage, "Amount": float64(12000 + 7500*i),
			"CloseDate": s.stamp().AddDate(0, 0, 20*i-60).Format("2006-01-02"), "LeadSource": sources[i%len(sources)],
			"Type": []string{"New Customer", "Existing Customer - Upgrade"}[i%2], "OwnerId": sales[i%len(sales)],
		})
		opps = append(opps, opp)
		for j, c := range contactsByAcct[acct][:1+i%2] {
			create("OpportunityContactRole", map[string]any{"OpportunityId": opp, "ContactId": c, "Role": roleNames[(i+j)%len(roleNames)], "IsPrimary": j == 0})
		}
	}

	caseStatus := []string{"New", "Working", "Escalated", "Closed"}
	subjects := []string{"Cannot log in to the portal", "Invoice shows the wrong amount", "Feature request: export to CSV", "Integration stopped syncing", "Slow dashboard", "Password reset email not arriving", "Question about the SLA", "Data import failed"}
	for i, subj := range subjects {
		acct := accounts[i%len(accounts)]
		c := contactsByAcct[acct][i%3]
		create("Case", map[string]any{
			"Subject": subj, "AccountId": acct, "ContactId": c, "Status": caseStatus[i%len(caseStatus)],
			"Priority": []string{"High", "Medium", "Low"}[i%3], "Origin": []string{"Email", "Web", "Phone", "Chat"}[i%4],
			"Type": []string{"Problem", "Question", "Feature Request"}[i%3], "OwnerId": support[i%len(support)],
			"Description": "Reported by the customer: " + strings.ToLower(subj) + ".",
		})
	}

	taskStatus := []string{"Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"}
	for i := 0; i < 16; i++ {
		f := map[string]any{
			"Subject": []string{"Call", "Send proposal", "Follow-up email", "Demo", "Check in"}[i%5] + fmt.Sprintf(" #%d", i+1),
			"Status":  taskStatus[i%len(taskStatus)], "Priority": []string{"High", "Normal", "Low", "Normal"}[i%4],
			"Type": []string{"Call", "Email", "Meeting", "Other"}[i%4], "OwnerId": sales[i%len(sales)],
			"ActivityDate": s.stamp().AddDate(0, 0, i-8).Format("2006-01-02"),
		}
		if i%2 == 0 {
			acct := accounts[i%len(accounts)]
			f["WhoId"], f["WhatId"] = contactsByAcct[acct][0], opps[i%len(opps)]
		} else {
			f["WhoId"] = leads[i]
		}
		create("Task", f)
	}

	// A few leads have already been converted.
	for _, i := range []int{4, 9, 14} {
		must("", func() error {
			_, err := s.ConvertLead(LeadConvert{LeadID: leads[i], DoNotCreateOpportunity: i == 14})
			return err
		}())
	}
}

// emailLocal makes an ASCII email local part from a name.
func emailLocal(first, last string) string {
	r := strings.NewReplacer("'", "", "ü", "u", "é", "e", "ö", "o", "ä", "a")
	return strings.ToLower(r.Replace(first + "." + last))
}
