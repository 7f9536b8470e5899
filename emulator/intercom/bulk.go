package intercom

import (
	"fmt"
	"time"
)

// ContactSeed describes one contact for BulkLoadContacts.
type ContactSeed struct {
	Role       string // "user" (default) or "lead"
	Email      string // unique among users
	Name       string // full name
	Phone      string // any format
	ExternalID string // the app's user id; unique among users
	OwnerID    int64  // an admin id; 0 means none
	Location   Location
	UTM        UTM
	// CustomAttributes are values of defined attributes (see
	// CustomAttribute), typed as the definition says: string, int/int64,
	// float64, bool, or Unix seconds for dates.
	CustomAttributes map[string]any
	CompanyIDs       []string  // Intercom ids of companies to attach
	CreatedAt        time.Time // zero: now
}

// CompanySeed describes one company for BulkLoadCompanies.
type CompanySeed struct {
	CompanyID        string         // the app's company id; required, unique
	Name             string         // company name
	Plan             string         // plan name
	Website          string         // URL
	Industry         string         // free text
	Size             int64          // employees
	MonthlySpend     float64        // truncated to an integer, as Intercom does
	CustomAttributes map[string]any // values of defined company attributes
	CreatedAt        time.Time      // zero: now
}

// BulkLoadContacts inserts contacts directly, without webhooks, rate limits
// or API call accounting, for large benchmarks and fixtures. Values are
// checked as the API would (custom attributes defined and typed, no
// duplicate user); it stops at the first bad seed and returns the ids
// created before it.
func (s *Server) BulkLoadContacts(seeds []ContactSeed) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(seeds))
	now := s.now()
	for i, sd := range seeds {
		role := sd.Role
		if role == "" {
			role = "user"
		}
		if role != "user" && role != "lead" {
			return ids, fmt.Errorf("intercom: bulk contact %d: role %q: want user or lead", i, role)
		}
		in := contactInput{role: &role, email: strOrNil(sd.Email), name: strOrNil(sd.Name), phone: strOrNil(sd.Phone),
			externalID: strOrNil(sd.ExternalID), location: &sd.Location, utm: &sd.UTM}
		if sd.OwnerID != 0 {
			in.ownerID = ptr(sd.OwnerID)
		}
		if len(sd.CustomAttributes) > 0 {
			in.custom = make(map[string]any, len(sd.CustomAttributes))
			for k, v := range sd.CustomAttributes {
				in.custom[k] = v
			}
		}
		if herr := s.checkContactLocked(nil, &in, role); herr != nil {
			return ids, fmt.Errorf("intercom: bulk contact %d: %w", i, herr)
		}
		created := sd.CreatedAt
		if created.IsZero() {
			created = now
		}
		c := &contact{role: role, createdAt: created.Unix()}
		if role == "user" {
			c.signedUpAt = ptr(c.createdAt)
		}
		s.applyContactLocked(c, &in, c.createdAt)
		s.st.unindex(c)
		s.insertContactLocked(c)
		for _, coID := range sd.CompanyIDs {
			if !s.attachLocked(c, coID) && s.st.companies[coID] == nil {
				return ids, fmt.Errorf("intercom: bulk contact %d: company %s not found", i, coID)
			}
		}
		ids = append(ids, c.id)
	}
	return ids, nil
}

// BulkLoadCompanies inserts companies directly, like BulkLoadContacts.
func (s *Server) BulkLoadCompanies(seeds []CompanySeed) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(seeds))
	for i, sd := range seeds {
		if sd.CompanyID == "" || s.st.byCompanyID[sd.CompanyID] != nil {
			return ids, fmt.Errorf("intercom: bulk company %d: company_id %q is empty or taken", i, sd.CompanyID)
		}
		in := companyInput{companyID: sd.CompanyID, name: strOrNil(sd.Name), plan: strOrNil(sd.Plan),
			website: strOrNil(sd.Website), industry: strOrNil(sd.Industry), monthlySpend: ptr(float64(int64(sd.MonthlySpend)))}
		if sd.Size != 0 {
			in.size = ptr(sd.Size)
		}
		if len(sd.CustomAttributes) > 0 {
			in.custom = make(map[string]any, len(sd.CustomAttributes))
			for k, v := range sd.CustomAttributes {
				in.custom[k] = v
			}
		}
		created := sd.CreatedAt
		if created.IsZero() {
			created = s.now()
		}
		co := &company{companyID: sd.CompanyID, createdAt: created.Unix(), contactIDs: map[string]bool{}}
		if herr := s.applyCompanyLocked(co, &in); herr != nil {
			return ids, fmt.Errorf("intercom: bulk company %d: %w", i, herr)
		}
		co.updatedAt = co.createdAt
		s.insertCompanyLocked(co)
		ids = append(ids, co.id)
	}
	return ids, nil
}
