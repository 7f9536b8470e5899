package intercom

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Company is an Intercom company.
type Company struct {
	Type             string         `json:"type,omitempty"`
	ID               string         `json:"id"`
	CompanyID        FlexString     `json:"company_id,omitempty"`
	AppID            string         `json:"app_id,omitempty"`
	Name             string         `json:"name,omitempty"`
	RemoteCreatedAt  Timestamp      `json:"remote_created_at,omitempty"`
	CreatedAt        Timestamp      `json:"created_at,omitempty"`
	UpdatedAt        Timestamp      `json:"updated_at,omitempty"`
	LastRequestAt    Timestamp      `json:"last_request_at,omitempty"`
	MonthlySpend     float64        `json:"monthly_spend,omitempty"`
	SessionCount     int            `json:"session_count,omitempty"`
	UserCount        int            `json:"user_count,omitempty"`
	Size             int            `json:"size,omitempty"`
	Website          string         `json:"website,omitempty"`
	Industry         string         `json:"industry,omitempty"`
	Plan             *Plan          `json:"plan,omitempty"`
	CustomAttributes map[string]any `json:"custom_attributes,omitempty"`
	// Deleted is set in the answer to DeleteCompany and in company.deleted
	// webhook items.
	Deleted bool `json:"deleted,omitempty"`
}

// Plan is a company's plan. Intercom answers {} when there is none,
// {"type":"plan","id":…,"name":…} otherwise; a bare string is accepted too.
type Plan struct {
	ID   FlexString `json:"id,omitempty"`
	Name string     `json:"name,omitempty"`
}

// UnmarshalJSON implements json.Unmarshaler for every shape of plan.
func (p *Plan) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &p.Name)
	}
	type plain Plan
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("intercom: plan: %w", err)
	}
	*p = Plan(v)
	return nil
}

// CompanyInput is the body of a company create-or-update or update. Nil
// pointers are not sent.
type CompanyInput struct {
	CompanyID        *string        `json:"company_id,omitempty"`
	Name             *string        `json:"name,omitempty"`
	Plan             *string        `json:"plan,omitempty"`
	Size             *int           `json:"size,omitempty"`
	Website          *string        `json:"website,omitempty"`
	Industry         *string        `json:"industry,omitempty"`
	RemoteCreatedAt  *Timestamp     `json:"remote_created_at,omitempty"`
	MonthlySpend     *int64         `json:"monthly_spend,omitempty"`
	CustomAttributes map[string]any `json:"custom_attributes,omitempty"`
}

// CreateOrUpdateCompany creates the company with in.CompanyID, or updates
// it if it exists (Intercom looks companies up by company_id).
func (c *Client) CreateOrUpdateCompany(ctx context.Context, in CompanyInput) (*Company, error) {
	return callFor[Company](ctx, c, request{method: http.MethodPost, route: "/companies", path: "/companies", body: in, auth: true})
}

// GetCompany fetches a company by Intercom id.
func (c *Client) GetCompany(ctx context.Context, id string) (*Company, error) {
	return callFor[Company](ctx, c, request{method: http.MethodGet, route: "/companies/{id}", path: "/companies/" + pathEscape(id), auth: true})
}

// GetCompanyByCompanyID fetches a company by ferry's (the remote) company_id.
// Unknown ids give an error matching ErrNotFound.
func (c *Client) GetCompanyByCompanyID(ctx context.Context, companyID string) (*Company, error) {
	// The answer is documented both as a company and as a list of one;
	// accept either.
	var out struct {
		Company
		Data []Company `json:"data"`
	}
	err := c.call(ctx, request{method: http.MethodGet, route: "/companies?company_id", path: "/companies",
		query: url.Values{"company_id": {companyID}}, auth: true}, &out)
	if err != nil {
		return nil, err
	}
	if out.Type == "list" || out.Data != nil {
		if len(out.Data) == 0 {
			return nil, fmt.Errorf("intercom: GET /companies?company_id: %w", &APIError{StatusCode: http.StatusNotFound, Code: "company_not_found", Message: "Company Not Found"})
		}
		return &out.Data[0], nil
	}
	return &out.Company, nil
}

// UpdateCompany updates a company by Intercom id. company_id cannot change.
func (c *Client) UpdateCompany(ctx context.Context, id string, in CompanyInput) (*Company, error) {
	return callFor[Company](ctx, c, request{method: http.MethodPut, route: "/companies/{id}", path: "/companies/" + pathEscape(id), body: in, auth: true})
}

// DeleteCompany deletes a company by Intercom id.
func (c *Client) DeleteCompany(ctx context.Context, id string) (*Company, error) {
	return callFor[Company](ctx, c, request{method: http.MethodDelete, route: "/companies/{id}", path: "/companies/" + pathEscape(id), auth: true})
}

// ListCompanies iterates over companies page by page (GET /companies with
// page and per_page; 2.11 documents this and POST /companies/list as
// equivalent listings). Intercom caps this listing at 10,000 companies and
// leaves out companies without users; use ScrollCompanies to read
// everything.
func (c *Client) ListCompanies(ctx context.Context, opts ListOptions) iter.Seq2[Company, error] {
	return paginatePages(ctx, opts.Prefetch, func(ctx context.Context, page int) ([]Company, *Pages, error) {
		q := perPageQuery(url.Values{"page": {strconv.Itoa(page)}}, opts.PerPage)
		var out list[Company]
		if err := c.call(ctx, request{method: http.MethodGet, route: "/companies", path: "/companies", query: q, auth: true}, &out); err != nil {
			return nil, nil, err
		}
		if opts.Total != nil {
			opts.Total(out.TotalCount)
		}
		return out.Data, out.Pages, nil
	})
}

// ScrollCompanies iterates over all companies with the scroll API. Intercom
// allows one open scroll per workspace and expires it after a minute idle.
func (c *Client) ScrollCompanies(ctx context.Context) iter.Seq2[Company, error] {
	return func(yield func(Company, error) bool) {
		// The scroll param usually stays the same for the whole scroll, so
		// the end is an empty page, not a missing cursor.
		param := ""
		for {
			q := url.Values{}
			if param != "" {
				q.Set("scroll_param", param)
			}
			var out struct {
				Data        []Company `json:"data"`
				ScrollParam string    `json:"scroll_param"`
			}
			if err := c.call(ctx, request{method: http.MethodGet, route: "/companies/scroll", path: "/companies/scroll", query: q, auth: true}, &out); err != nil {
				yield(Company{}, err)
				return
			}
			for _, co := range out.Data {
				if !yield(co, nil) {
					return
				}
			}
			if len(out.Data) == 0 || out.ScrollParam == "" {
				return
			}
			param = out.ScrollParam
		}
	}
}

// ListCompanyContacts iterates over the contacts attached to a company
// (Intercom id).
func (c *Client) ListCompanyContacts(ctx context.Context, id string, opts ListOptions) iter.Seq2[Contact, error] {
	return paginatePages(ctx, opts.Prefetch, func(ctx context.Context, page int) ([]Contact, *Pages, error) {
		q := perPageQuery(url.Values{"page": {strconv.Itoa(page)}}, opts.PerPage)
		var out list[Contact]
		if err := c.call(ctx, request{method: http.MethodGet, route: "/companies/{id}/contacts",
			path: "/companies/" + pathEscape(id) + "/contacts", query: q, auth: true}, &out); err != nil {
			return nil, nil, err
		}
		return out.Data, out.Pages, nil
	})
}
