package intercom

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
)

// Contact roles.
const (
	RoleUser = "user"
	RoleLead = "lead"
)

// Contact is an Intercom contact (a user or a lead), with the fields ferry
// reads.
type Contact struct {
	Type                   string         `json:"type,omitempty"`
	ID                     string         `json:"id"`
	WorkspaceID            string         `json:"workspace_id,omitempty"`
	ExternalID             FlexString     `json:"external_id,omitempty"`
	Role                   string         `json:"role,omitempty"`
	Email                  string         `json:"email,omitempty"`
	EmailDomain            string         `json:"email_domain,omitempty"`
	Phone                  string         `json:"phone,omitempty"`
	FormattedPhone         string         `json:"formatted_phone,omitempty"`
	Name                   string         `json:"name,omitempty"`
	OwnerID                FlexString     `json:"owner_id,omitempty"`
	HasHardBounced         bool           `json:"has_hard_bounced,omitempty"`
	MarkedEmailAsSpam      bool           `json:"marked_email_as_spam,omitempty"`
	UnsubscribedFromEmails bool           `json:"unsubscribed_from_emails,omitempty"`
	CreatedAt              Timestamp      `json:"created_at,omitempty"`
	UpdatedAt              Timestamp      `json:"updated_at,omitempty"`
	SignedUpAt             Timestamp      `json:"signed_up_at,omitempty"`
	LastSeenAt             Timestamp      `json:"last_seen_at,omitempty"`
	LastRepliedAt          Timestamp      `json:"last_replied_at,omitempty"`
	LastContactedAt        Timestamp      `json:"last_contacted_at,omitempty"`
	Location               Location       `json:"location"`
	CustomAttributes       map[string]any `json:"custom_attributes,omitempty"`
	Companies              *RefList       `json:"companies,omitempty"`
	Tags                   *RefList       `json:"tags,omitempty"`
	UTMCampaign            string         `json:"utm_campaign,omitempty"`
	UTMContent             string         `json:"utm_content,omitempty"`
	UTMMedium              string         `json:"utm_medium,omitempty"`
	UTMSource              string         `json:"utm_source,omitempty"`
	UTMTerm                string         `json:"utm_term,omitempty"`
	Referrer               string         `json:"referrer,omitempty"`

	// Deleted and Archived are set in the answers to delete/archive calls
	// and in contact.deleted/contact.archived webhook items.
	Deleted  bool `json:"deleted,omitempty"`
	Archived bool `json:"archived,omitempty"`
	// MergedFrom is set in contact.merged webhook items: the lead that was
	// merged into this contact.
	MergedFrom *Ref `json:"merged_from,omitempty"`
}

// Location is a contact's location as Intercom infers it.
type Location struct {
	Country       string `json:"country,omitempty"`
	Region        string `json:"region,omitempty"`
	City          string `json:"city,omitempty"`
	CountryCode   string `json:"country_code,omitempty"`
	ContinentCode string `json:"continent_code,omitempty"`
}

// Ref is a reference to another object, e.g. {"type":"company","id":"…"}.
type Ref struct {
	Type string `json:"type,omitempty"`
	ID   string `json:"id"`
	URL  string `json:"url,omitempty"`
}

// RefList is an embedded list of references (a contact's companies or
// tags). Intercom includes at most 10 items; HasMore says there are more.
type RefList struct {
	Data       []Ref  `json:"data"`
	URL        string `json:"url,omitempty"`
	TotalCount int    `json:"total_count"`
	HasMore    bool   `json:"has_more"`
}

// ContactInput is the body of a contact create or update. Nil pointers are
// not sent; a pointer to "" sends an empty string. In CustomAttributes a
// nil value sends null, which clears the attribute.
type ContactInput struct {
	Role                   *string        `json:"role,omitempty"`
	ExternalID             *string        `json:"external_id,omitempty"`
	Email                  *string        `json:"email,omitempty"`
	Phone                  *string        `json:"phone,omitempty"`
	Name                   *string        `json:"name,omitempty"`
	Avatar                 *string        `json:"avatar,omitempty"`
	SignedUpAt             *Timestamp     `json:"signed_up_at,omitempty"`
	LastSeenAt             *Timestamp     `json:"last_seen_at,omitempty"`
	OwnerID                *int64         `json:"owner_id,omitempty"`
	UnsubscribedFromEmails *bool          `json:"unsubscribed_from_emails,omitempty"`
	CustomAttributes       map[string]any `json:"custom_attributes,omitempty"`
	// ClearOwner sends "owner_id": null, which removes the owner (OwnerID
	// is then ignored).
	ClearOwner bool `json:"-"`
}

// MarshalJSON sends the set fields, and owner_id null for ClearOwner.
func (in ContactInput) MarshalJSON() ([]byte, error) {
	type plain ContactInput
	if !in.ClearOwner {
		return json.Marshal(plain(in))
	}
	in.OwnerID = nil
	return json.Marshal(struct {
		plain
		OwnerID *int64 `json:"owner_id"`
	}{plain: plain(in)})
}

// Ptr returns a pointer to v, for building inputs.
func Ptr[T any](v T) *T { return &v }

// CreateContact creates a contact. A duplicate gives a 409 error from
// which IsConflict extracts the existing contact's id.
func (c *Client) CreateContact(ctx context.Context, in ContactInput) (*Contact, error) {
	return callFor[Contact](ctx, c, request{method: http.MethodPost, route: "/contacts", path: "/contacts", body: in, auth: true})
}

// GetContact fetches a contact by Intercom id. A merged-away or deleted id
// gives an error matching ErrNotFound.
func (c *Client) GetContact(ctx context.Context, id string) (*Contact, error) {
	return callFor[Contact](ctx, c, request{method: http.MethodGet, route: "/contacts/{id}", path: "/contacts/" + pathEscape(id), auth: true})
}

// UpdateContact updates the fields set in in.
func (c *Client) UpdateContact(ctx context.Context, id string, in ContactInput) (*Contact, error) {
	return callFor[Contact](ctx, c, request{method: http.MethodPut, route: "/contacts/{id}", path: "/contacts/" + pathEscape(id), body: in, auth: true})
}

// DeleteContact deletes a contact.
func (c *Client) DeleteContact(ctx context.Context, id string) (*Contact, error) {
	return callFor[Contact](ctx, c, request{method: http.MethodDelete, route: "/contacts/{id}", path: "/contacts/" + pathEscape(id), auth: true})
}

// ArchiveContact archives a contact.
func (c *Client) ArchiveContact(ctx context.Context, id string) (*Contact, error) {
	return callFor[Contact](ctx, c, request{method: http.MethodPost, route: "/contacts/{id}/archive", path: "/contacts/" + pathEscape(id) + "/archive", auth: true})
}

// UnarchiveContact restores an archived contact.
func (c *Client) UnarchiveContact(ctx context.Context, id string) (*Contact, error) {
	return callFor[Contact](ctx, c, request{method: http.MethodPost, route: "/contacts/{id}/unarchive", path: "/contacts/" + pathEscape(id) + "/unarchive", auth: true})
}

// MergeContacts merges the lead fromLeadID into the user intoUserID and
// returns the surviving contact. The lead's id then 404s.
func (c *Client) MergeContacts(ctx context.Context, fromLeadID, intoUserID string) (*Contact, error) {
	body := map[string]string{"from": fromLeadID, "into": intoUserID}
	return callFor[Contact](ctx, c, request{method: http.MethodPost, route: "/contacts/merge", path: "/contacts/merge", body: body, auth: true})
}

// ListContacts iterates over all contacts, following starting_after cursors.
func (c *Client) ListContacts(ctx context.Context, opts ListOptions) iter.Seq2[Contact, error] {
	return paginate(ctx, opts.Prefetch, func(ctx context.Context, cursor string) ([]Contact, string, error) {
		q := perPageQuery(nil, opts.PerPage)
		if cursor != "" {
			q.Set("starting_after", cursor)
		}
		var out list[Contact]
		if err := c.call(ctx, request{method: http.MethodGet, route: "/contacts", path: "/contacts", query: q, auth: true}, &out); err != nil {
			return nil, "", err
		}
		if opts.Total != nil {
			opts.Total(out.TotalCount)
		}
		return out.Data, out.next(), nil
	})
}

// SearchContacts iterates over the contacts matching q. The query is
// validated before anything is sent. Intercom indexes new contacts with a
// delay of up to a few minutes, so a just-created contact may be missing.
func (c *Client) SearchContacts(ctx context.Context, q Query, opts SearchOptions) iter.Seq2[Contact, error] {
	return search[Contact](ctx, c, "/contacts/search", contactFields, q, opts)
}

// FindContactByEmail returns the contacts whose email equals email (there
// can be several: a user and leads). It reads one page of up to 150.
func (c *Client) FindContactByEmail(ctx context.Context, email string) ([]Contact, error) {
	var out []Contact
	for ct, err := range c.SearchContacts(ctx, Field("email", OpEq, email), SearchOptions{PerPage: 150}) {
		if err != nil {
			return nil, err
		}
		out = append(out, ct)
		if len(out) >= 150 {
			break
		}
	}
	return out, nil
}

// AttachCompany attaches the contact to the company (Intercom company id,
// not company_id) and returns the company.
func (c *Client) AttachCompany(ctx context.Context, contactID, companyID string) (*Company, error) {
	return callFor[Company](ctx, c, request{method: http.MethodPost, route: "/contacts/{id}/companies",
		path: "/contacts/" + pathEscape(contactID) + "/companies", body: map[string]string{"id": companyID}, auth: true})
}

// DetachCompany detaches the contact from the company (Intercom ids) and
// returns the company.
func (c *Client) DetachCompany(ctx context.Context, contactID, companyID string) (*Company, error) {
	return callFor[Company](ctx, c, request{method: http.MethodDelete, route: "/contacts/{id}/companies/{company_id}",
		path: "/contacts/" + pathEscape(contactID) + "/companies/" + pathEscape(companyID), auth: true})
}

// ListContactCompanies returns the companies a contact is attached to
// (GET /contacts/{id}/companies).
func (c *Client) ListContactCompanies(ctx context.Context, contactID string) ([]Company, error) {
	var out list[Company]
	err := c.call(ctx, request{method: http.MethodGet, route: "/contacts/{id}/companies",
		path: "/contacts/" + pathEscape(contactID) + "/companies", query: url.Values{"per_page": {"50"}}, auth: true}, &out)
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}
