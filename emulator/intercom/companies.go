package intercom

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// company is an Intercom company.
type company struct {
	seq             int64
	id              string
	companyID       string
	name            *string
	plan            *string
	size            *int64
	website         *string
	industry        *string
	monthlySpend    float64
	remoteCreatedAt *int64
	createdAt       int64
	updatedAt       int64
	custom          map[string]any
	contactIDs      map[string]bool
	deleted         bool
}

type companyJSON struct {
	Type             string         `json:"type"`
	CompanyID        string         `json:"company_id"`
	ID               string         `json:"id"`
	AppID            string         `json:"app_id"`
	Name             *string        `json:"name"`
	RemoteCreatedAt  *int64         `json:"remote_created_at"`
	CreatedAt        any            `json:"created_at"`
	UpdatedAt        any            `json:"updated_at"`
	LastRequestAt    *int64         `json:"last_request_at"`
	MonthlySpend     float64        `json:"monthly_spend"`
	SessionCount     int            `json:"session_count"`
	UserCount        int            `json:"user_count"`
	Size             *int64         `json:"size"`
	Website          *string        `json:"website"`
	Industry         *string        `json:"industry"`
	Tags             *tagListJSON   `json:"tags,omitempty"`
	Segments         *segListJSON   `json:"segments,omitempty"`
	TagIDs           *[]string      `json:"tag_ids,omitempty"`
	Plan             map[string]any `json:"plan"`
	CustomAttributes map[string]any `json:"custom_attributes"`
}

type tagListJSON struct {
	Type string `json:"type"`
	Tags []any  `json:"tags"`
}

type segListJSON struct {
	Type     string `json:"type"`
	Segments []any  `json:"segments"`
}

// companyJSON renders co; webhookCreated gives the shape real Intercom was
// seen sending in company.created (ISO times, tag_ids).
func (s *Server) companyJSON(co *company, webhookCreated bool) companyJSON {
	j := companyJSON{Type: "company", CompanyID: co.companyID, ID: co.id, AppID: s.appID, Name: co.name,
		RemoteCreatedAt: co.remoteCreatedAt, CreatedAt: co.createdAt, UpdatedAt: co.updatedAt,
		MonthlySpend: co.monthlySpend, UserCount: len(co.contactIDs), Size: co.size, Website: co.website,
		Industry: co.industry, Plan: map[string]any{}, CustomAttributes: map[string]any{}}
	if co.plan != nil {
		j.Plan = map[string]any{"type": "plan", "id": planID(*co.plan), "name": *co.plan}
	}
	for k, v := range co.custom {
		j.CustomAttributes[k] = v
	}
	if webhookCreated {
		j.CreatedAt, j.UpdatedAt = isoTime(co.createdAt), isoTime(co.updatedAt)
		j.TagIDs = &[]string{}
	} else {
		j.Tags = &tagListJSON{Type: "tag.list", Tags: []any{}}
		j.Segments = &segListJSON{Type: "segment.list", Segments: []any{}}
	}
	return j
}

// planID makes a stable numeric id for a plan name.
func planID(name string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return strconv.FormatUint(uint64(h%900000+100000), 10)
}

var companyFields = []string{"name", "company_id", "plan", "size", "website", "industry", "custom_attributes",
	"remote_created_at", "monthly_spend"}

type companyInput struct {
	companyID                     string
	name, plan, website, industry *string
	size, remoteCreatedAt         *int64
	monthlySpend                  *float64
	custom                        map[string]any
}

// parseCompanyInput reads a POST or PUT /companies body.
func parseCompanyInput(f *fields) (companyInput, *httpError) {
	var in companyInput
	f.unknown(companyFields...)
	in.companyID, _ = f.idString("company_id")
	for name, dst := range map[string]**string{"name": &in.name, "plan": &in.plan, "website": &in.website, "industry": &in.industry} {
		if v, set := f.str(name); set {
			*dst = &v
		}
	}
	if v, set, null := f.integer("size"); set && !null {
		in.size = &v
	}
	if v, set, null := f.integer("remote_created_at"); set && !null {
		in.remoteCreatedAt = &v
	}
	if raw, ok := f.m["monthly_spend"]; ok && !f.isNull("monthly_spend") {
		var n float64
		if json.Unmarshal(raw, &n) != nil {
			f.fail("monthly_spend", "a number")
		}
		n = float64(int64(n)) // Intercom truncates monthly_spend to an integer
		in.monthlySpend = &n
	}
	if v, set := f.object("custom_attributes"); set {
		in.custom = v
	}
	return in, f.err
}

func (s *Server) applyCompanyLocked(co *company, in *companyInput) *httpError {
	for name, v := range in.custom {
		nv, herr := s.normalizeCustomLocked("company", name, v)
		if herr != nil {
			return herr
		}
		in.custom[name] = nv
	}
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = strOrNil(*v)
		}
	}
	set(&co.name, in.name)
	set(&co.plan, in.plan)
	set(&co.website, in.website)
	set(&co.industry, in.industry)
	if in.size != nil {
		co.size = ptr(*in.size)
	}
	if in.remoteCreatedAt != nil {
		co.remoteCreatedAt = ptr(*in.remoteCreatedAt)
	}
	if in.monthlySpend != nil {
		co.monthlySpend = *in.monthlySpend
	}
	for k, v := range in.custom {
		if co.custom == nil {
			co.custom = map[string]any{}
		}
		if v == nil {
			delete(co.custom, k)
		} else {
			co.custom[k] = v
		}
	}
	co.updatedAt = s.now().Unix()
	return nil
}

func (s *Server) insertCompanyLocked(co *company) {
	co.id = freeHexID(co.createdAt, s.st.companies)
	co.seq = s.st.sequence()
	if co.contactIDs == nil {
		co.contactIDs = map[string]bool{}
	}
	s.st.companies[co.id] = co
	s.st.byCompanyID[co.companyID] = co
	s.st.companyOrder = append(s.st.companyOrder, co)
}

// handleUpsertCompany is POST /companies: create, or update the company
// with the same company_id.
func (s *Server) handleUpsertCompany(r *http.Request) (any, error) {
	in, err := decodeInput(r, parseCompanyInput)
	if err != nil {
		return nil, err
	}
	if in.companyID == "" {
		return nil, errf(http.StatusBadRequest, "parameter_not_found", "company_id not specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	co := s.st.byCompanyID[in.companyID]
	created := co == nil
	if created {
		co = &company{companyID: in.companyID, createdAt: s.now().Unix(), contactIDs: map[string]bool{}}
	}
	if herr := s.applyCompanyLocked(co, &in); herr != nil {
		return nil, herr
	}
	if created {
		s.insertCompanyLocked(co)
		s.emitLocked("company.created", s.companyJSON(co, true))
	} else {
		s.emitLocked("company.updated", s.companyJSON(co, false))
	}
	return s.companyJSON(co, false), nil
}

func (s *Server) liveCompanyLocked(id string) (*company, *httpError) {
	co := s.st.companies[id]
	if co == nil || co.deleted {
		return nil, errf(http.StatusNotFound, "company_not_found", "Company Not Found")
	}
	return co, nil
}

func (s *Server) handleGetCompany(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	co, herr := s.liveCompanyLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	return s.companyJSON(co, false), nil
}

func (s *Server) handleUpdateCompany(r *http.Request) (any, error) {
	in, err := decodeInput(r, parseCompanyInput)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	co, herr := s.liveCompanyLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	if in.companyID != "" && in.companyID != co.companyID {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "company_id cannot be changed")
	}
	if herr := s.applyCompanyLocked(co, &in); herr != nil {
		return nil, herr
	}
	s.emitLocked("company.updated", s.companyJSON(co, false))
	return s.companyJSON(co, false), nil
}

func (s *Server) handleDeleteCompany(r *http.Request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	co, herr := s.liveCompanyLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	co.deleted = true
	delete(s.st.companies, co.id)
	delete(s.st.byCompanyID, co.companyID)
	for cid := range co.contactIDs {
		if c := s.st.contacts[cid]; c != nil {
			c.companyIDs = without(c.companyIDs, co.id)
		}
	}
	body := map[string]any{"id": co.id, "object": "company", "deleted": true}
	s.emitLocked("company.deleted", body)
	return body, nil
}

// handleListCompanies is GET /companies: by company_id or name (a list of
// at most one), else all companies, paged with page/per_page.
func (s *Server) handleListCompanies(r *http.Request) (any, error) {
	q := r.URL.Query()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if q.Has("company_id") || q.Has("name") {
		var found []companyJSON
		if id := q.Get("company_id"); q.Has("company_id") {
			if co := s.st.byCompanyID[id]; co != nil {
				found = append(found, s.companyJSON(co, false))
			}
		} else {
			name := strings.ToLower(q.Get("name"))
			for _, co := range s.st.companyOrder {
				if !co.deleted && co.name != nil && strings.ToLower(*co.name) == name {
					found = append(found, s.companyJSON(co, false))
					break
				}
			}
		}
		if len(found) == 0 {
			return nil, errf(http.StatusNotFound, "company_not_found", "Company Not Found")
		}
		return map[string]any{"type": "list", "data": found, "total_count": 1,
			"pages": pages{Type: "pages", Page: 1, PerPage: 15, TotalPages: 1}}, nil
	}
	return s.listCompaniesLocked(q, 15)
}

// handleListAllCompanies is POST /companies/list (2.11 listAllCompanies),
// what the official SDKs' companies.list() sends; paging is in the query.
func (s *Server) handleListAllCompanies(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.listCompaniesLocked(r.URL.Query(), 20)
}

// listCompaniesLocked pages all companies with page/per_page; order "desc"
// (the default) lists the newest first, "asc" the oldest. A page past the
// end is empty, which is how the SDKs stop.
func (s *Server) listCompaniesLocked(q url.Values, defPer int) (any, error) {
	per, page, err := pageParams(q, defPer)
	if err != nil {
		return nil, err
	}
	order := q.Get("order")
	if order != "" && order != "asc" && order != "desc" {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "order must be asc or desc")
	}
	live := s.liveCompaniesLocked()
	if order != "asc" {
		slices.Reverse(live)
	}
	got, pg := numberedPage(live, page, per)
	data := make([]companyJSON, 0, len(got))
	for _, co := range got {
		data = append(data, s.companyJSON(co, false))
	}
	return map[string]any{"type": "list", "data": data, "pages": pg, "total_count": len(live)}, nil
}

func (s *Server) liveCompaniesLocked() []*company {
	live := make([]*company, 0, len(s.st.companies))
	for _, co := range s.st.companyOrder {
		if !co.deleted {
			live = append(live, co)
		}
	}
	return live
}

// handleScrollCompanies is GET /companies/scroll: stateless scroll_param
// holding the last sequence served; an empty page ends the scroll.
func (s *Server) handleScrollCompanies(r *http.Request) (any, error) {
	var after int64
	if p := r.URL.Query().Get("scroll_param"); p != "" {
		parts, err := decodeCursor(p)
		if err != nil || json.Unmarshal(parts[0], &after) != nil {
			return nil, errf(http.StatusBadRequest, "scroll_exists", "scroll_param is invalid or expired")
		}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	order := s.st.companyOrder
	i := sort.Search(len(order), func(i int) bool { return order[i].seq > after })
	data := []companyJSON{}
	last := after
	for ; i < len(order) && len(data) < 50; i++ {
		if !order[i].deleted {
			data = append(data, s.companyJSON(order[i], false))
			last = order[i].seq
		}
	}
	return map[string]any{"type": "list", "data": data, "pages": nil, "total_count": nil,
		"scroll_param": encodeCursor(last)}, nil
}

func (s *Server) handleCompanyContacts(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	co, herr := s.liveCompanyLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	var cs []*contact
	for id := range co.contactIDs {
		if c := s.st.contacts[id]; c != nil && !c.deleted {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
	out := contactList{Type: "list", Data: []contactJSON{}, TotalCount: len(cs),
		Pages: pages{Type: "pages", Page: 1, PerPage: 50, TotalPages: totalPages(len(cs), 50)}}
	for i, c := range cs {
		if i == 50 {
			break
		}
		out.Data = append(out.Data, s.contactJSON(c, false))
	}
	return out, nil
}
