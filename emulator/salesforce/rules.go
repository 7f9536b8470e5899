package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Validation and assignment rules, as an admin sets them up in Setup.
//
// A validation rule refuses a save whose field is blank (or equals a
// value) with FIELD_CUSTOM_VALIDATION_EXCEPTION and the rule's message, on
// API and UI saves alike.
//
// An assignment rule sets the owner of a Case or Lead saved through the
// REST API: the first entry whose field equals its value names the owner
// (an entry without a field matches every record). The Sforce-Auto-Assign
// request header decides which rule runs: absent or TRUE, the object's
// active rule; FALSE, none; an AssignmentRule id, that rule, active or not.
// A rule that runs overrides an OwnerId given in the request, as
// Salesforce's does.

// ValidationRule is a validation rule on one field.
type ValidationRule struct {
	Object  string `json:"object"`
	Field   string `json:"field"`
	Blank   bool   `json:"blank,omitempty"`  // refuse a blank value
	Equals  string `json:"equals,omitempty"` // refuse this value (case-insensitive)
	Message string `json:"message"`
}

// AssignmentRuleSpec is an assignment rule to add.
type AssignmentRuleSpec struct {
	Object  string      `json:"object"` // Case or Lead
	Name    string      `json:"name"`
	Active  bool        `json:"active"` // deactivates the object's other rules
	Entries []RuleEntry `json:"entries"`
}

// RuleEntry is one entry of an assignment rule.
type RuleEntry struct {
	Field   string `json:"field,omitempty"` // "" matches every record
	Value   string `json:"value,omitempty"`
	OwnerID string `json:"ownerId"`
}

type autoAssignKey struct{}

// withAutoAssign keeps the request's Sforce-Auto-Assign header for the
// saves it makes; a value that is neither TRUE, FALSE nor an id is
// refused as Salesforce refuses it.
func withAutoAssign(r *http.Request) (*http.Request, error) {
	v := strings.TrimSpace(r.Header.Get("Sforce-Auto-Assign"))
	if v == "" {
		return r, nil
	}
	if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
		if _, ok := normalizeID(v); !ok {
			return nil, errBadRequest("MALFORMED_ID", "Invalid assignment rule id: "+v)
		}
	}
	return r.WithContext(context.WithValue(r.Context(), autoAssignKey{}, v)), nil
}

// AddValidationRule adds a validation rule.
func (s *Server) AddValidationRule(v ValidationRule) error {
	return s.uiTable(v.Object, func(tx *txn, t *table) error {
		f := t.obj.field(v.Field)
		if f == nil {
			return errBadRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", v.Field, t.obj.Name))
		}
		if v.Message == "" || (!v.Blank && v.Equals == "") {
			return errBadRequest("INVALID_ARGUMENT", "a validation rule needs a message and blank or equals")
		}
		v.Object, v.Field = t.obj.Name, f.Name
		s.validations = append(s.validations, v)
		return nil
	})
}

// AddAssignmentRule adds a Case or Lead assignment rule and returns its id.
func (s *Server) AddAssignmentRule(spec AssignmentRuleSpec) (string, error) {
	var id string
	err := s.uiTable(spec.Object, func(tx *txn, t *table) error {
		if t.obj.Name != "Case" && t.obj.Name != "Lead" {
			return errBadRequest("INVALID_TYPE", "assignment rules exist for Case and Lead only")
		}
		for _, e := range spec.Entries {
			if e.Field != "" && t.obj.field(e.Field) == nil {
				return errBadRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", e.Field, t.obj.Name))
			}
			if _, u := s.find(e.OwnerID); u == nil || !strings.HasPrefix(u.id, "005") {
				return errBadRequest("INVALID_CROSS_REFERENCE_KEY", "an entry's owner must be a user: "+e.OwnerID)
			}
		}
		rules := s.tables["assignmentrule"]
		if spec.Active {
			for _, r := range rules.order {
				if r.f["SobjectType"] == t.obj.Name && r.f["Active"] == true {
					if err := tx.update(rules, r, map[string]any{"Active": false}, modeLoad); err != nil {
						return err
					}
				}
			}
		}
		var err error
		id, err = tx.create(rules, map[string]any{"Name": spec.Name, "SobjectType": t.obj.Name, "Active": spec.Active}, modeLoad)
		if err != nil {
			return err
		}
		entries := make([]RuleEntry, len(spec.Entries))
		for i, e := range spec.Entries {
			e.OwnerID, _ = normalizeID(e.OwnerID)
			entries[i] = e
		}
		s.ruleEntries[id] = entries
		return nil
	})
	return id, err
}

// validate applies the object's validation rules to a save's values.
func (tx *txn) validate(o *objectDef, vals map[string]any) error {
	for _, v := range tx.s.validations {
		if v.Object != o.Name {
			continue
		}
		val := strings.TrimSpace(fmt.Sprint(vals[v.Field]))
		if vals[v.Field] == nil {
			val = ""
		}
		if (v.Blank && val == "") || (v.Equals != "" && strings.EqualFold(val, v.Equals)) {
			return errBadRequest("FIELD_CUSTOM_VALIDATION_EXCEPTION", v.Message, v.Field)
		}
	}
	return nil
}

// assign runs the assignment rule the request asks for on a Case or Lead
// saved through the API.
func (tx *txn) assign(o *objectDef, vals map[string]any) {
	if o.Name != "Case" && o.Name != "Lead" || strings.EqualFold(tx.autoAssign, "false") {
		return
	}
	s := tx.s
	var rule *record
	for _, r := range s.tables["assignmentrule"].order {
		if r.f["SobjectType"] != o.Name {
			continue
		}
		if want, ok := normalizeID(tx.autoAssign); ok && r.id == want || tx.autoAssign == "" && r.f["Active"] == true ||
			strings.EqualFold(tx.autoAssign, "true") && r.f["Active"] == true {
			rule = r
			break
		}
	}
	if rule == nil {
		return
	}
	for _, e := range s.ruleEntries[rule.id] {
		if e.Field == "" || vals[e.Field] != nil && strings.EqualFold(fmt.Sprint(vals[e.Field]), e.Value) {
			vals["OwnerId"] = e.OwnerID
			return
		}
	}
}
