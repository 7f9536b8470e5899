package intercom

import (
	"encoding/json"
	"strings"
)

// state is the workspace. Every field is guarded by Server.mu.
type state struct {
	tokens map[string]bool
	// companiesOff: the workspace's company feature is switched off.
	companiesOff bool
	oauthCodes   map[string]bool

	admins     []*admin
	adminByID  map[string]*admin
	teams      []*team
	ownAdminID string

	contacts     map[string]*contact
	contactOrder []*contact                       // by seq; deleted ones stay, flagged, so cursors keep working
	liveContacts int                              // neither deleted nor archived
	lastSeq      int64                            // see sequence
	byEmail      map[string]map[*contact]struct{} // lower-cased email
	byExternalID map[string]map[*contact]struct{}
	byCustom     map[string]map[string]map[*contact]struct{} // attribute name → valueKey → contacts

	companies    map[string]*company
	byCompanyID  map[string]*company
	companyOrder []*company

	conversations map[string]*conversation
	convOrder     []*conversation
	nextConvID    int64
	nextAdminID   int64
	nextPartID    int64

	attrs      []*dataAttribute // custom ones, by id
	attrByName map[string]map[string]*dataAttribute
	nextAttrID int64

	events    map[string][]*event // contact id → events
	eventKeys map[string]bool     // for Intercom's silent de-duplication

	tags      []*tag
	tagByID   map[string]*tag
	nextTagID int64
}

func newState() state {
	return state{
		tokens:        map[string]bool{},
		oauthCodes:    map[string]bool{},
		adminByID:     map[string]*admin{},
		contacts:      map[string]*contact{},
		byEmail:       map[string]map[*contact]struct{}{},
		byExternalID:  map[string]map[*contact]struct{}{},
		byCustom:      map[string]map[string]map[*contact]struct{}{},
		companies:     map[string]*company{},
		byCompanyID:   map[string]*company{},
		conversations: map[string]*conversation{},
		nextConvID:    100,
		nextPartID:    1000,
		attrByName:    map[string]map[string]*dataAttribute{"contact": {}, "company": {}, "conversation": {}},
		nextAttrID:    1,
		events:        map[string][]*event{},
		eventKeys:     map[string]bool{},
		tagByID:       map[string]*tag{},
		nextTagID:     9000,
	}
}

func addToSet(idx map[string]map[*contact]struct{}, key string, c *contact) {
	set := idx[key]
	if set == nil {
		set = map[*contact]struct{}{}
		idx[key] = set
	}
	set[c] = struct{}{}
}

func removeFromSet(idx map[string]map[*contact]struct{}, key string, c *contact) {
	if set := idx[key]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(idx, key)
		}
	}
}

// index adds c to the lookup maps; unindex removes it. Callers unindex
// before changing indexed fields and index again afterwards.
func (st *state) index(c *contact) {
	if c.email != nil && *c.email != "" {
		addToSet(st.byEmail, strings.ToLower(*c.email), c)
	}
	if c.externalID != nil && *c.externalID != "" {
		addToSet(st.byExternalID, *c.externalID, c)
	}
	for name, v := range c.custom {
		m := st.byCustom[name]
		if m == nil {
			m = map[string]map[*contact]struct{}{}
			st.byCustom[name] = m
		}
		addToSet(m, valueKey(v), c)
	}
}

func (st *state) unindex(c *contact) {
	if c.email != nil && *c.email != "" {
		removeFromSet(st.byEmail, strings.ToLower(*c.email), c)
	}
	if c.externalID != nil && *c.externalID != "" {
		removeFromSet(st.byExternalID, *c.externalID, c)
	}
	for name, v := range c.custom {
		if m := st.byCustom[name]; m != nil {
			removeFromSet(m, valueKey(v), c)
		}
	}
}

// valueKey is the index key of a stored attribute value. Stored values are
// normalised (string, int64, float64, bool), so equal values share a key;
// integers and floats share one numeric form.
func valueKey(v any) string {
	switch x := v.(type) {
	case string:
		return "s:" + strings.ToLower(x)
	case int64:
		return "n:" + jsonNumber(float64(x))
	case float64:
		return "n:" + jsonNumber(x)
	case bool:
		if x {
			return "b:1"
		}
		return "b:0"
	}
	return "?"
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func ptr[T any](v T) *T { return &v }

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// without returns a new slice of ids lacking id, leaving ids untouched for
// anything still holding it.
func without(ids []string, id string) []string {
	out := make([]string, 0, len(ids))
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// sequence is the next number of the one order contacts, companies and
// conversations are created in; list cursors hold it.
func (st *state) sequence() int64 {
	st.lastSeq++
	return st.lastSeq
}
