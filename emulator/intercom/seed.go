package intercom

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// seedDemo fills a believable workspace: teammates and teams, companies
// with contacts, users and leads with locations and UTM data, custom data
// attributes, and open and closed conversations with comments, notes,
// images and emojis. It is deterministic apart from ids and the clock.
func (s *Server) seedDemo() {
	rng := rand.New(rand.NewPCG(42, 2026))
	now := s.now()
	s.mu.Lock()
	teammates := []struct{ name, title string }{
		{"Maya Lindqvist", "Head of Support"}, {"Tomás Ferreira", "Account Executive"},
		{"Priya Raman", "Customer Success Manager"}, {"Jonah Okafor", "Support Engineer"},
		{"Elise Dubois", "Sales Development Rep"},
	}
	var adminIDs []int64
	for i, t := range teammates {
		id := int64(991267601 + i)
		first := strings.ToLower(strings.Fields(t.name)[0])
		first = strings.NewReplacer("á", "a", "é", "e").Replace(first)
		s.addAdminLocked(&admin{ID: strconv.FormatInt(id, 10), Name: t.name, Email: first + "@northwind-demo.io", JobTitle: t.title})
		adminIDs = append(adminIDs, id)
	}
	s.st.teams = []*team{
		{ID: "5017691", Name: "Support", AdminIDs: []int64{adminIDs[0], adminIDs[3]}},
		{ID: "5017692", Name: "Sales", AdminIDs: []int64{adminIDs[1], adminIDs[2], adminIDs[4]}},
	}
	for _, a := range s.st.admins {
		for _, t := range s.st.teams {
			for _, id := range t.AdminIDs {
				if strconv.FormatInt(id, 10) == a.ID {
					a.TeamIDs = append(a.TeamIDs, mustInt(t.ID))
				}
			}
		}
	}
	for _, d := range []struct {
		model, name, typ string
		opts             []string
	}{
		{"contact", "plan_tier", "string", []string{"free", "starter", "growth", "enterprise"}},
		{"contact", "seats", "integer", nil},
		{"contact", "lifetime_value", "float", nil},
		{"contact", "trial_active", "boolean", nil},
		{"contact", "renewal_date", "date", nil},
		{"contact", "job_title", "string", nil},
		{"company", "segment", "string", nil},
		{"company", "health_score", "integer", nil},
		{"company", "churn_risk", "boolean", nil},
	} {
		dt := d.typ
		if d.opts != nil {
			dt = "options"
		}
		s.createAttributeLocked(d.model, d.name, dt, "Demo attribute "+d.name, d.opts, false)
	}
	s.mu.Unlock()

	companies := []CompanySeed{
		{CompanyID: "acme-001", Name: "Acme Robotics", Plan: "Enterprise", Website: "https://acme-robotics.example", Industry: "Manufacturing", Size: 850, MonthlySpend: 12000,
			CustomAttributes: map[string]any{"segment": "enterprise", "health_score": int64(82), "churn_risk": false}},
		{CompanyID: "globex-002", Name: "Globex Logistics", Plan: "Growth", Website: "https://globex.example", Industry: "Logistics", Size: 240, MonthlySpend: 3400,
			CustomAttributes: map[string]any{"segment": "mid-market", "health_score": int64(64), "churn_risk": false}},
		{CompanyID: "initech-003", Name: "Initech", Plan: "Starter", Website: "https://initech.example", Industry: "Software", Size: 45, MonthlySpend: 490,
			CustomAttributes: map[string]any{"segment": "smb", "health_score": int64(37), "churn_risk": true}},
		{CompanyID: "umbrella-004", Name: "Umbrella Health", Plan: "Enterprise", Website: "https://umbrella-health.example", Industry: "Healthcare", Size: 3200, MonthlySpend: 28000,
			CustomAttributes: map[string]any{"segment": "enterprise", "health_score": int64(91), "churn_risk": false}},
		{CompanyID: "stark-005", Name: "Stark Renewables", Plan: "Growth", Website: "https://stark-renewables.example", Industry: "Energy", Size: 410, MonthlySpend: 5100,
			CustomAttributes: map[string]any{"segment": "mid-market", "health_score": int64(73), "churn_risk": false}},
		{CompanyID: "hooli-006", Name: "Hooli Media", Plan: "Starter", Website: "https://hooli-media.example", Industry: "Media", Size: 90, MonthlySpend: 790,
			CustomAttributes: map[string]any{"segment": "smb", "health_score": int64(55), "churn_risk": true}},
	}
	for i := range companies {
		companies[i].CreatedAt = now.Add(-time.Duration(400-i*30) * 24 * time.Hour)
	}
	coIDs, err := s.BulkLoadCompanies(companies)
	if err != nil {
		s.log.Error("intercom: demo seed companies", "err", err)
		return
	}
	firsts := []string{"Ava", "Liam", "Sofia", "Noah", "Mia", "Lucas", "Zara", "Ethan", "Chloe", "Mateo", "Hana", "Oscar", "Lena", "Kai", "Nora", "Felix", "Isla", "Ravi", "Emma", "Yusuf"}
	lasts := []string{"Martin", "Novak", "Garcia", "Kim", "Rossi", "Schmidt", "Haddad", "Silva", "Tanaka", "Walsh", "Kowalski", "Nguyen"}
	places := []Location{
		{Country: "United States", Region: "California", City: "San Francisco", CountryCode: "US", ContinentCode: "NA"},
		{Country: "United Kingdom", Region: "England", City: "London", CountryCode: "GB", ContinentCode: "EU"},
		{Country: "Germany", Region: "Berlin", City: "Berlin", CountryCode: "DE", ContinentCode: "EU"},
		{Country: "Brazil", Region: "São Paulo", City: "São Paulo", CountryCode: "BR", ContinentCode: "SA"},
		{Country: "Japan", Region: "Tokyo", City: "Tokyo", CountryCode: "JP", ContinentCode: "AS"},
		{Country: "Australia", Region: "New South Wales", City: "Sydney", CountryCode: "AU", ContinentCode: "OC"},
		{Country: "Canada", Region: "Ontario", City: "Toronto", CountryCode: "CA", ContinentCode: "NA"},
	}
	utms := []UTM{
		{Campaign: "spring_launch", Medium: "cpc", Source: "google", Term: "sync crm", Content: "ad_a", Referrer: "https://www.google.com/"},
		{Campaign: "webinar_q3", Medium: "email", Source: "newsletter", Referrer: "https://mail.example/"},
		{Campaign: "partner_promo", Medium: "referral", Source: "partner", Referrer: "https://partner.example/blog"},
		{},
	}
	domains := []string{"acme-robotics.example", "globex.example", "initech.example", "umbrella-health.example", "stark-renewables.example", "hooli-media.example"}
	tiers := []string{"free", "starter", "growth", "enterprise"}
	var seeds []ContactSeed
	users := 0
	for i := 0; i < 36; i++ {
		first, last := firsts[i%len(firsts)], lasts[(i*7)%len(lasts)]
		sd := ContactSeed{Name: first + " " + last, Location: places[rng.IntN(len(places))], UTM: utms[rng.IntN(len(utms))],
			CreatedAt: now.Add(-time.Duration(rng.IntN(300*24)+24) * time.Hour),
			Phone:     fmt.Sprintf("+1415555%04d", 1000+i)}
		if i%3 == 2 { // every third is a lead from the Messenger
			sd.Role = "lead"
			if i%2 == 0 {
				sd.Email = strings.ToLower(first) + "." + strings.ToLower(last) + fmt.Sprintf("%d@gmail.example", i)
			}
			sd.Name = ""
			if i%4 == 0 {
				sd.Name = first
			}
		} else {
			co := users % len(coIDs)
			users++
			sd.Role = "user"
			sd.Email = strings.ToLower(first) + "." + strings.ToLower(last) + "@" + domains[co]
			sd.ExternalID = strconv.Itoa(1000 + i)
			sd.CompanyIDs = []string{coIDs[co]}
			sd.CustomAttributes = map[string]any{
				"plan_tier": tiers[rng.IntN(len(tiers))], "seats": int64(rng.IntN(200) + 1),
				"lifetime_value": float64(rng.IntN(500000)) / 100, "trial_active": rng.IntN(4) == 0,
				"renewal_date": now.Add(time.Duration(rng.IntN(365)) * 24 * time.Hour).Unix(),
			}
		}
		if rng.IntN(3) > 0 {
			sd.OwnerID = adminIDs[rng.IntN(len(adminIDs))]
		}
		seeds = append(seeds, sd)
	}
	ids, err := s.BulkLoadContacts(seeds)
	if err != nil {
		s.log.Error("intercom: demo seed contacts", "err", err)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		c := s.st.contacts[id]
		c.lastSeenAt = ptr(now.Add(-time.Duration(rng.IntN(72)) * time.Hour).Unix())
		c.browser, c.os, c.browserLang = ptr([]string{"chrome", "firefox", "safari"}[rng.IntN(3)]), ptr([]string{"OS X 14.4", "Windows 11", "iOS 17.4"}[rng.IntN(3)]), ptr("en")
	}
	vip := s.tagLocked("VIP")
	s.tagLocked("Beta tester")
	s.st.contacts[ids[0]].tagIDs = []string{vip.id}

	admins := s.st.admins[1:]
	threads := []struct {
		opening string
		replies []string // alternate admin, user; "note:" marks an internal note
		closed  bool
	}{
		{"<p>Hi! Our Salesforce sync stopped updating leads since yesterday 😕</p>", []string{
			"<p>Sorry about that! Could you send a screenshot of the error?</p>",
			"<p>Sure, here it is: <img src=\"https://downloads.intercomcdn.example/i/o/123/sync-error.png\"></p>",
			"note:<p>Looks like the token was revoked. Checking with the SF admin.</p>",
			"<p>Fixed — the connection was re-authorised. Thanks for your patience! 🎉</p>"}, true},
		{"<p>Can I upgrade to the Growth plan mid-cycle?</p>", []string{
			"<p>Absolutely, the difference is prorated. Want me to do it for you?</p>",
			"<p>Yes please 👍</p>"}, false},
		{"<p>How do I map a custom field to Salesforce?</p>", nil, false},
		{"<p>The invoice for March shows the wrong VAT number.</p>", []string{
			"note:<p>Finance ticket FIN-2231 opened.</p>",
			"<p>We've reissued the invoice with the corrected VAT number.</p>"}, true},
		{"<p>Hello 👋 is there an API rate limit?</p>", []string{
			"<p>Yes: 10,000 calls per minute per app, spread over 10-second windows.</p>"}, false},
		{"<p>Our team can't log in since the SSO change 😱</p>", []string{
			"<p>Looking into it now. Which identity provider do you use?</p>",
			"<p>Okta. Screenshot: <img src=\"https://downloads.intercomcdn.example/i/o/456/okta.png\"></p>"}, false},
	}
	for i, th := range threads {
		ct := s.st.contacts[ids[i*2%len(ids)]]
		conv := s.newConversationLocked(ct, contactAuthor(ct), "customer_initiated", "", th.opening)
		start := now.Add(-time.Duration(len(threads)-i) * 26 * time.Hour).Unix()
		conv.createdAt, conv.waitingSince, conv.firstReply = start, ptr(start), ptr(start)
		a := admins[i%len(admins)]
		conv.adminAssignee = ptr(mustInt(a.ID))
		conv.teamAssignee = ptr(mustInt(s.st.teams[i%2].ID))
		fromAdmin := true
		for j, body := range th.replies {
			p := &part{partType: "comment", body: ptr(body), author: a.author()}
			if b, ok := strings.CutPrefix(body, "note:"); ok {
				p.partType, p.body = "note", ptr(b)
			} else {
				if !fromAdmin {
					p.author = contactAuthor(ct)
				}
				fromAdmin = !fromAdmin
			}
			s.addPartLocked(conv, p)
			p.createdAt = start + int64(j+1)*600
		}
		if th.closed {
			p := s.addPartLocked(conv, &part{partType: "close", author: a.author()})
			p.createdAt = start + int64(len(th.replies)+1)*600
			conv.state, conv.waitingSince = "closed", nil
		}
		conv.updatedAt = start + int64(len(th.replies)+1)*600
	}
	for i, id := range ids[:10] {
		s.st.events[id] = append(s.st.events[id], &event{id: newUUID(), name: "invited-teammate",
			createdAt: now.Add(-time.Duration(i+1) * time.Hour).Unix(), metadata: map[string]any{"invitee_count": i + 1}})
	}
}
