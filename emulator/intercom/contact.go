package intercom

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// contact is a lead or a user.
type contact struct {
	seq          int64
	id           string
	role         string
	externalID   *string
	email        *string
	phone        *string
	name         *string
	avatar       *string
	ownerID      *int64
	unsubscribed bool
	createdAt    int64
	updatedAt    int64
	signedUpAt   *int64
	lastSeenAt   *int64
	lastReplied  *int64
	browser      *string
	browserLang  *string
	os           *string
	location     Location
	utm          UTM
	custom       map[string]any
	companyIDs   []string // Intercom company ids, in attach order
	tagIDs       []string
	archived     bool
	deleted      bool
}

// Location is where a contact was last seen.
type Location struct {
	Country       string `json:"country,omitempty"`        // full name, e.g. "Germany"
	Region        string `json:"region,omitempty"`         // state or region
	City          string `json:"city,omitempty"`           // city name
	CountryCode   string `json:"country_code,omitempty"`   // ISO 3166-1 alpha-2, e.g. "DE"
	ContinentCode string `json:"continent_code,omitempty"` // e.g. "EU"
}

// UTM is a contact's first-touch attribution.
type UTM struct {
	Campaign string `json:"utm_campaign,omitempty"` // utm_campaign
	Content  string `json:"utm_content,omitempty"`  // utm_content
	Medium   string `json:"utm_medium,omitempty"`   // utm_medium
	Source   string `json:"utm_source,omitempty"`   // utm_source
	Term     string `json:"utm_term,omitempty"`     // utm_term
	Referrer string `json:"referrer,omitempty"`     // the referring URL
}

type refJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	URL  string `json:"url"`
}

type refListJSON struct {
	Type       string    `json:"type"`
	Data       []refJSON `json:"data"`
	URL        string    `json:"url"`
	TotalCount int       `json:"total_count"`
	HasMore    bool      `json:"has_more"`
}

type locationJSON struct {
	Type          string  `json:"type"`
	Country       *string `json:"country"`
	Region        *string `json:"region"`
	City          *string `json:"city"`
	CountryCode   *string `json:"country_code"`
	ContinentCode *string `json:"continent_code"`
}

// contactJSON is the full 2.11 contact object, null fields included.
type contactJSON struct {
	Type                      string         `json:"type"`
	ID                        string         `json:"id"`
	WorkspaceID               string         `json:"workspace_id"`
	ExternalID                *string        `json:"external_id"`
	Role                      string         `json:"role"`
	Email                     *string        `json:"email"`
	EmailDomain               *string        `json:"email_domain"`
	Phone                     *string        `json:"phone"`
	FormattedPhone            *string        `json:"formatted_phone"`
	Name                      *string        `json:"name"`
	Avatar                    *string        `json:"avatar"`
	OwnerID                   *int64         `json:"owner_id"`
	SocialProfiles            socialJSON     `json:"social_profiles"`
	HasHardBounced            bool           `json:"has_hard_bounced"`
	MarkedEmailAsSpam         bool           `json:"marked_email_as_spam"`
	UnsubscribedFromEmails    bool           `json:"unsubscribed_from_emails"`
	CreatedAt                 any            `json:"created_at"`
	UpdatedAt                 any            `json:"updated_at"`
	SignedUpAt                *int64         `json:"signed_up_at"`
	LastSeenAt                *int64         `json:"last_seen_at"`
	LastRepliedAt             *int64         `json:"last_replied_at"`
	LastContactedAt           *int64         `json:"last_contacted_at"`
	LastEmailOpenedAt         *int64         `json:"last_email_opened_at"`
	LastEmailClickedAt        *int64         `json:"last_email_clicked_at"`
	LanguageOverride          *string        `json:"language_override"`
	Browser                   *string        `json:"browser"`
	BrowserVersion            *string        `json:"browser_version"`
	BrowserLanguage           *string        `json:"browser_language"`
	OS                        *string        `json:"os"`
	Location                  locationJSON   `json:"location"`
	AndroidAppName            *string        `json:"android_app_name"`
	AndroidAppVersion         *string        `json:"android_app_version"`
	AndroidDevice             *string        `json:"android_device"`
	AndroidOSVersion          *string        `json:"android_os_version"`
	AndroidSDKVersion         *string        `json:"android_sdk_version"`
	AndroidLastSeenAt         *int64         `json:"android_last_seen_at"`
	IOSAppName                *string        `json:"ios_app_name"`
	IOSAppVersion             *string        `json:"ios_app_version"`
	IOSDevice                 *string        `json:"ios_device"`
	IOSOSVersion              *string        `json:"ios_os_version"`
	IOSSDKVersion             *string        `json:"ios_sdk_version"`
	IOSLastSeenAt             *int64         `json:"ios_last_seen_at"`
	CustomAttributes          map[string]any `json:"custom_attributes"`
	Tags                      refListJSON    `json:"tags"`
	Notes                     refListJSON    `json:"notes"`
	Companies                 refListJSON    `json:"companies"`
	OptedOutSubscriptionTypes refListJSON    `json:"opted_out_subscription_types"`
	OptedInSubscriptionTypes  refListJSON    `json:"opted_in_subscription_types"`
	UTMCampaign               *string        `json:"utm_campaign"`
	UTMContent                *string        `json:"utm_content"`
	UTMMedium                 *string        `json:"utm_medium"`
	UTMSource                 *string        `json:"utm_source"`
	UTMTerm                   *string        `json:"utm_term"`
	Referrer                  *string        `json:"referrer"`
}

type socialJSON struct {
	Type string `json:"type"`
	Data []any  `json:"data"`
}

func refList(url string, ids []string, typ, itemURL string) refListJSON {
	l := refListJSON{Type: "list", Data: []refJSON{}, URL: url, TotalCount: len(ids)}
	for i, id := range ids {
		if i == 10 { // Intercom embeds at most 10 and flags the rest
			l.HasMore = true
			break
		}
		l.Data = append(l.Data, refJSON{ID: id, Type: typ, URL: itemURL + id})
	}
	return l
}

// json renders c; isoTimes gives ISO-8601 created_at/updated_at, as real
// Intercom was seen sending in contact.user.created webhooks.
func (s *Server) contactJSON(c *contact, isoTimes bool) contactJSON {
	j := contactJSON{
		Type: "contact", ID: c.id, WorkspaceID: s.appID, ExternalID: c.externalID, Role: c.role,
		Email: c.email, Phone: c.phone, FormattedPhone: c.phone, Name: c.name, Avatar: c.avatar, OwnerID: c.ownerID,
		SocialProfiles:         socialJSON{Type: "list", Data: []any{}},
		UnsubscribedFromEmails: c.unsubscribed,
		CreatedAt:              c.createdAt, UpdatedAt: c.updatedAt,
		SignedUpAt: c.signedUpAt, LastSeenAt: c.lastSeenAt, LastRepliedAt: c.lastReplied,
		Browser: c.browser, BrowserLanguage: c.browserLang, OS: c.os,
		Location: locationJSON{Type: "location", Country: strOrNil(c.location.Country), Region: strOrNil(c.location.Region),
			City: strOrNil(c.location.City), CountryCode: strOrNil(c.location.CountryCode), ContinentCode: strOrNil(c.location.ContinentCode)},
		CustomAttributes:          map[string]any{},
		Tags:                      refList("/contacts/"+c.id+"/tags", c.tagIDs, "tag", "/tags/"),
		Notes:                     refList("/contacts/"+c.id+"/notes", nil, "note", "/notes/"),
		Companies:                 refList("/contacts/"+c.id+"/companies", c.companyIDs, "company", "/companies/"),
		OptedOutSubscriptionTypes: refList("/contacts/"+c.id+"/subscriptions", nil, "subscription", "/subscriptions/"),
		OptedInSubscriptionTypes:  refList("/contacts/"+c.id+"/subscriptions", nil, "subscription", "/subscriptions/"),
		UTMCampaign:               strOrNil(c.utm.Campaign), UTMContent: strOrNil(c.utm.Content), UTMMedium: strOrNil(c.utm.Medium),
		UTMSource: strOrNil(c.utm.Source), UTMTerm: strOrNil(c.utm.Term), Referrer: strOrNil(c.utm.Referrer),
	}
	if c.email != nil {
		if _, dom, ok := strings.Cut(*c.email, "@"); ok {
			j.EmailDomain = &dom
		}
	}
	for k, v := range c.custom {
		j.CustomAttributes[k] = v
	}
	if isoTimes {
		j.CreatedAt = isoTime(c.createdAt)
		j.UpdatedAt = isoTime(c.updatedAt)
	}
	return j
}

func isoTime(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05.000+00:00")
}

// contactInput is a parsed create/update body; nil pointers are "not sent".
type contactInput struct {
	role, externalID, email, phone, name, avatar *string
	ownerID                                      *int64
	ownerNull                                    bool
	signedUpAt, lastSeenAt                       *int64
	unsubscribed                                 *bool
	custom                                       map[string]any // raw JSON values, validated later
	location                                     *Location
	utm                                          *UTM
}

var contactFields = []string{"role", "external_id", "email", "phone", "name", "avatar", "signed_up_at",
	"last_seen_at", "owner_id", "unsubscribed_from_emails", "custom_attributes"}

// parseAPIContactInput reads a POST or PUT /contacts body.
func parseAPIContactInput(f *fields) (contactInput, *httpError) { return parseContactInput(f, false) }

// parseContactInput reads a contact body. Messenger-side updates (the
// control surface) may also set location and UTM data.
func parseContactInput(raw *fields, messenger bool) (contactInput, *httpError) {
	var in contactInput
	f := raw
	allowed := contactFields
	if messenger {
		allowed = append(append([]string{}, contactFields...), "location", "utm_campaign", "utm_content",
			"utm_medium", "utm_source", "utm_term", "referrer")
	}
	f.unknown(allowed...)
	strField := func(name string, dst **string) {
		if v, set := f.str(name); set {
			*dst = &v
		}
	}
	strField("role", &in.role)
	if v, set := f.idString("external_id"); set {
		in.externalID = &v
	}
	strField("email", &in.email)
	strField("phone", &in.phone)
	strField("name", &in.name)
	strField("avatar", &in.avatar)
	if v, set, null := f.integer("owner_id"); set {
		if null {
			in.ownerNull = true
		} else {
			in.ownerID = &v
		}
	}
	if v, set, null := f.integer("signed_up_at"); set && !null {
		in.signedUpAt = &v
	}
	if v, set, null := f.integer("last_seen_at"); set && !null {
		in.lastSeenAt = &v
	}
	if v, set := f.boolean("unsubscribed_from_emails"); set {
		in.unsubscribed = &v
	}
	if v, set := f.object("custom_attributes"); set {
		in.custom = v
		if v == nil {
			in.custom = map[string]any{}
		}
	}
	if messenger {
		if f.has("location") {
			var loc Location
			if o, _ := f.object("location"); o != nil {
				for k, dst := range map[string]*string{"country": &loc.Country, "region": &loc.Region, "city": &loc.City,
					"country_code": &loc.CountryCode, "continent_code": &loc.ContinentCode} {
					if s, ok := o[k].(string); ok {
						*dst = s
					}
				}
			}
			in.location = &loc
		}
		var u UTM
		sent := false
		for k, dst := range map[string]*string{"utm_campaign": &u.Campaign, "utm_content": &u.Content, "utm_medium": &u.Medium,
			"utm_source": &u.Source, "utm_term": &u.Term, "referrer": &u.Referrer} {
			if v, set := f.str(k); set {
				*dst = v
				sent = true
			}
		}
		if sent {
			in.utm = &u
		}
	}
	if f.err != nil {
		return in, f.err
	}
	if in.role != nil && *in.role != "user" && *in.role != "lead" {
		return in, &httpError{status: 400, apiError: apiError{Code: "parameter_invalid", Message: "role must be either user or lead", Field: "role"}}
	}
	if in.email != nil && *in.email != "" && !strings.Contains(*in.email, "@") {
		return in, &httpError{status: 400, apiError: apiError{Code: "parameter_invalid", Message: fmt.Sprintf("Email %q is invalid", *in.email), Field: "email"}}
	}
	return in, nil
}

// checkContactLocked validates in against the workspace for contact c (nil
// when creating): owner exists, custom attributes defined and well typed,
// no duplicate user. It normalises in.custom in place.
func (s *Server) checkContactLocked(c *contact, in *contactInput, role string) *httpError {
	if in.ownerID != nil && !s.adminExists(*in.ownerID) {
		return &httpError{status: 400, apiError: apiError{Code: "parameter_invalid", Message: fmt.Sprintf("Owner %d not found", *in.ownerID), Field: "owner_id"}}
	}
	for name, v := range in.custom {
		nv, herr := s.normalizeCustomLocked("contact", name, v)
		if herr != nil {
			return herr
		}
		in.custom[name] = nv
	}
	if role != "user" {
		return nil
	}
	email, ext := "", ""
	if in.email != nil {
		email = *in.email
	} else if c != nil && c.email != nil {
		email = *c.email
	}
	if in.externalID != nil {
		ext = *in.externalID
	} else if c != nil && c.externalID != nil {
		ext = *c.externalID
	}
	if dup := s.duplicateUserLocked(c, email, ext); dup != nil {
		return errf(409, "conflict", "A contact matching those details already exists with id=%s", dup.id)
	}
	return nil
}

// duplicateUserLocked finds another user (archived ones too) with the same
// email or external_id, through the indexes.
func (s *Server) duplicateUserLocked(self *contact, email, ext string) *contact {
	var found *contact
	check := func(set map[*contact]struct{}) {
		for o := range set {
			if o != self && o.role == "user" && !o.deleted && (found == nil || o.seq < found.seq) {
				found = o
			}
		}
	}
	if email != "" {
		check(s.st.byEmail[strings.ToLower(email)])
	}
	if ext != "" {
		check(s.st.byExternalID[ext])
	}
	return found
}

// applyContactLocked writes a checked input into c and keeps the indexes.
func (s *Server) applyContactLocked(c *contact, in *contactInput, now int64) {
	s.st.unindex(c)
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = strOrNil(*v)
		}
	}
	if in.role != nil {
		c.role = *in.role
	}
	set(&c.externalID, in.externalID)
	set(&c.email, in.email)
	set(&c.phone, in.phone)
	set(&c.name, in.name)
	set(&c.avatar, in.avatar)
	if in.ownerNull {
		c.ownerID = nil
	} else if in.ownerID != nil {
		c.ownerID = ptr(*in.ownerID)
	}
	if in.signedUpAt != nil {
		c.signedUpAt = ptr(*in.signedUpAt)
	}
	if in.lastSeenAt != nil {
		c.lastSeenAt = ptr(*in.lastSeenAt)
	}
	if in.unsubscribed != nil {
		c.unsubscribed = *in.unsubscribed
	}
	if in.location != nil {
		c.location = *in.location
	}
	if in.utm != nil {
		mergeUTM(&c.utm, *in.utm)
	}
	for name, v := range in.custom {
		if c.custom == nil {
			c.custom = map[string]any{}
		}
		if v == nil {
			delete(c.custom, name)
		} else {
			c.custom[name] = v
		}
	}
	c.updatedAt = now
	s.st.index(c)
}

func mergeUTM(dst *UTM, src UTM) {
	for _, p := range [][2]*string{{&dst.Campaign, &src.Campaign}, {&dst.Content, &src.Content}, {&dst.Medium, &src.Medium},
		{&dst.Source, &src.Source}, {&dst.Term, &src.Term}, {&dst.Referrer, &src.Referrer}} {
		if *p[1] != "" {
			*p[0] = *p[1]
		}
	}
}

// insertContactLocked adds a new contact with a fresh id and sequence.
func (s *Server) insertContactLocked(c *contact) {
	c.id = freeHexID(c.createdAt, s.st.contacts)
	c.seq = s.st.sequence()
	s.st.contacts[c.id] = c
	s.st.contactOrder = append(s.st.contactOrder, c)
	s.st.liveContacts++
	s.st.index(c)
}

// liveContactLocked returns a contact that GET can see (not deleted or
// merged away).
func (s *Server) liveContactLocked(id string) (*contact, *httpError) {
	c := s.st.contacts[id]
	if c == nil || c.deleted {
		return nil, errNotFound()
	}
	return c, nil
}

// liveUserLocked is liveContactLocked where Intercom words a missing
// contact as a missing user: contacts named in a body, and company links.
func (s *Server) liveUserLocked(id string) (*contact, *httpError) {
	c := s.st.contacts[id]
	if c == nil || c.deleted {
		return nil, errf(http.StatusNotFound, "not_found", "User Not Found")
	}
	return c, nil
}

// removeContactLocked deletes c from every index; its slot in contactOrder
// stays (flagged) so list cursors remain valid.
func (s *Server) removeContactLocked(c *contact) {
	s.st.unindex(c)
	delete(s.st.contacts, c.id)
	if !c.archived {
		s.st.liveContacts--
	}
	c.deleted = true
	for _, coID := range c.companyIDs {
		if co := s.st.companies[coID]; co != nil {
			delete(co.contactIDs, c.id)
		}
	}
}

// contactsAfterLocked returns up to n visible contacts after sequence seq.
func (s *Server) contactsAfterLocked(seq int64, n int) []*contact {
	order := s.st.contactOrder
	i := sort.Search(len(order), func(i int) bool { return order[i].seq > seq })
	out := make([]*contact, 0, n)
	for ; i < len(order) && len(out) < n; i++ {
		if c := order[i]; !c.deleted && !c.archived {
			out = append(out, c)
		}
	}
	return out
}
