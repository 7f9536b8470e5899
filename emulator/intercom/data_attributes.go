package intercom

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// dataAttribute is a custom data attribute definition.
type dataAttribute struct {
	id                int64
	name              string
	model             string
	dataType          string // string, integer, float, boolean, date
	description       string
	options           []string
	messengerWritable bool
	archived          bool
	adminID           string
	createdAt         int64
	updatedAt         int64
}

type dataAttributeJSON struct {
	ID                *int64   `json:"id,omitempty"`
	Type              string   `json:"type"`
	Name              string   `json:"name"`
	FullName          string   `json:"full_name"`
	Label             string   `json:"label"`
	Description       string   `json:"description"`
	DataType          string   `json:"data_type"`
	Options           []string `json:"options,omitempty"`
	APIWritable       bool     `json:"api_writable"`
	UIWritable        bool     `json:"ui_writable"`
	MessengerWritable bool     `json:"messenger_writable"`
	Custom            bool     `json:"custom"`
	Archived          bool     `json:"archived"`
	AdminID           string   `json:"admin_id,omitempty"`
	CreatedAt         int64    `json:"created_at,omitempty"`
	UpdatedAt         int64    `json:"updated_at,omitempty"`
	Model             string   `json:"model"`
}

func (a *dataAttribute) json() dataAttributeJSON {
	return dataAttributeJSON{ID: ptr(a.id), Type: "data_attribute", Name: a.name, FullName: "custom_attributes." + a.name,
		Label: a.name, Description: a.description, DataType: a.dataType, Options: a.options, APIWritable: true,
		UIWritable: true, MessengerWritable: a.messengerWritable, Custom: true, Archived: a.archived,
		AdminID: a.adminID, CreatedAt: a.createdAt, UpdatedAt: a.updatedAt, Model: a.model}
}

// builtin is a standard attribute: [name, data_type, label, api_writable].
type builtin struct {
	name, dataType, label string
	writable              bool
}

var builtinAttributes = map[string][]builtin{
	"contact": {
		{"name", "string", "Name", true}, {"email", "string", "Email", true}, {"phone", "string", "Phone", true},
		{"external_id", "string", "User ID", true}, {"role", "string", "Role", true}, {"owner_id", "integer", "Owner", true},
		{"avatar", "string", "Avatar", true}, {"unsubscribed_from_emails", "boolean", "Unsubscribed from emails", true},
		{"created_at", "date", "Created at", false}, {"updated_at", "date", "Updated at", false},
		{"signed_up_at", "date", "Signed up", true}, {"last_seen_at", "date", "Last seen", true},
		{"last_replied_at", "date", "Last replied", false}, {"last_contacted_at", "date", "Last contacted", false},
		{"email_domain", "string", "Email domain", false}, {"browser", "string", "Browser", false},
		{"browser_language", "string", "Browser language", false}, {"os", "string", "OS", false},
		{"location.country", "string", "Country", false}, {"location.region", "string", "Region", false},
		{"location.city", "string", "City", false}, {"location.country_code", "string", "Country code", false},
		{"location.continent_code", "string", "Continent code", false},
		{"utm_campaign", "string", "UTM Campaign", false}, {"utm_content", "string", "UTM Content", false},
		{"utm_medium", "string", "UTM Medium", false}, {"utm_source", "string", "UTM Source", false},
		{"utm_term", "string", "UTM Term", false}, {"referrer", "string", "Referral URL", false},
		{"companies", "string", "Company", false}, {"tag_id", "string", "Tag", false},
	},
	"company": {
		{"name", "string", "Company name", true}, {"company_id", "string", "Company ID", true},
		{"plan", "string", "Plan", true}, {"size", "integer", "Company size", true},
		{"website", "string", "Company website", true}, {"industry", "string", "Company industry", true},
		{"monthly_spend", "float", "Monthly Spend", true}, {"remote_created_at", "date", "Company created at", true},
		{"created_at", "date", "Created at", false}, {"updated_at", "date", "Updated at", false},
		{"last_request_at", "date", "Last seen", false}, {"session_count", "integer", "Sessions", false},
		{"user_count", "integer", "People", false}, {"tag_id", "string", "Company tag", false},
	},
	"conversation": {
		{"state", "string", "State", false}, {"priority", "string", "Priority", false},
		{"admin_assignee_id", "integer", "Teammate assigned", true}, {"team_assignee_id", "integer", "Team assigned", true},
		{"created_at", "date", "Started", false}, {"updated_at", "date", "Last updated", false},
	},
}

func builtinJSON(model string, b builtin) dataAttributeJSON {
	return dataAttributeJSON{Type: "data_attribute", Name: b.name, FullName: b.name, Label: b.label,
		Description: b.label, DataType: b.dataType, APIWritable: b.writable, UIWritable: b.writable,
		Custom: false, Model: model}
}

func (s *Server) handleListDataAttributes(r *http.Request) (any, error) {
	q := r.URL.Query()
	model := q.Get("model")
	if model != "" && builtinAttributes[model] == nil {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "The Data Attribute model field must be either contact, company or conversation")
	}
	includeArchived := q.Get("include_archived") == "true"
	data := []dataAttributeJSON{}
	for _, m := range []string{"contact", "company", "conversation"} {
		if model != "" && m != model {
			continue
		}
		for _, b := range builtinAttributes[m] {
			data = append(data, builtinJSON(m, b))
		}
	}
	s.mu.RLock()
	for _, a := range s.st.attrs {
		if (model == "" || a.model == model) && (includeArchived || !a.archived) {
			data = append(data, a.json())
		}
	}
	s.mu.RUnlock()
	return map[string]any{"type": "list", "data": data}, nil
}

// attrNameRe is Intercom's rule: alphanumerics, currency symbols, hyphens,
// underscores and spaces.
var attrNameRe = regexp.MustCompile(`^[\p{L}\p{N}\p{Sc}_\- ]+$`)

var dataTypes = map[string]string{"string": "string", "integer": "integer", "float": "float", "boolean": "boolean",
	"date": "date", "datetime": "date", "options": "string"}

// CustomAttribute defines a custom data attribute from Go (tests,
// benchmarks), as POST /data_attributes would. dataType is string, integer,
// float, boolean or date.
func (s *Server) CustomAttribute(model, name, dataType string, options ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, herr := s.createAttributeLocked(model, name, dataType, "", options, false)
	if herr != nil {
		return fmt.Errorf("intercom: define attribute %s.%s: %w", model, name, herr)
	}
	return nil
}

func (s *Server) createAttributeLocked(model, name, dataType, description string, options []string, messengerWritable bool) (*dataAttribute, *httpError) {
	if model != "contact" && model != "company" {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "The Data Attribute model field must be either contact or company")
	}
	if name == "" || !attrNameRe.MatchString(name) || strings.Contains(name, ".") {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "Your new attribute name must only contain alphanumeric characters, currency symbols, and hyphens")
	}
	dt, ok := dataTypes[dataType]
	if !ok {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "Data Type isn't an option")
	}
	if dataType == "options" && len(options) < 2 {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "A list attribute needs at least 2 options")
	}
	taken := s.st.attrByName[model][name] != nil
	for _, b := range builtinAttributes[model] {
		taken = taken || strings.EqualFold(b.name, name)
	}
	if taken {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "You already have '%s' in your %s data. To save this as new people data, use a different name.", name, map[string]string{"contact": "person", "company": "company"}[model])
	}
	now := s.now().Unix()
	a := &dataAttribute{id: s.st.nextAttrID, name: name, model: model, dataType: dt, description: description,
		options: options, messengerWritable: messengerWritable, adminID: s.st.ownAdminID, createdAt: now, updatedAt: now}
	s.st.nextAttrID++
	s.st.attrs = append(s.st.attrs, a)
	s.st.attrByName[model][name] = a
	return a, nil
}

func (s *Server) handleCreateDataAttribute(r *http.Request) (any, error) {
	f, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
	f.unknown("name", "model", "data_type", "description", "options", "messenger_writable")
	name, _ := f.str("name")
	model, _ := f.str("model")
	dataType, _ := f.str("data_type")
	description, _ := f.str("description")
	messenger, _ := f.boolean("messenger_writable")
	options := parseOptions(f)
	if f.err != nil {
		return nil, f.err
	}
	for _, req := range []string{"name", "model", "data_type"} {
		if !f.has(req) {
			return nil, &httpError{status: 400, apiError: apiError{Code: "parameter_not_found", Message: req + " is required", Field: req}}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, herr := s.createAttributeLocked(model, name, dataType, description, options, messenger)
	if herr != nil {
		return nil, herr
	}
	return a.json(), nil
}

// parseOptions accepts both Intercom spellings: ["a","b"] and
// [{"value":"a"},{"value":"b"}].
func parseOptions(f *fields) []string {
	raw, ok := f.m["options"]
	if !ok || f.isNull("options") {
		return nil
	}
	var strs []string
	if json.Unmarshal(raw, &strs) == nil {
		return strs
	}
	strs = nil // a failed decode can leave a partial list behind
	var objs []struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(raw, &objs) != nil {
		f.fail("options", `a list of {"value": …} objects`)
		return nil
	}
	for _, o := range objs {
		strs = append(strs, o.Value)
	}
	return strs
}

func (s *Server) handleUpdateDataAttribute(r *http.Request) (any, error) {
	f, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
	f.unknown("archived", "description", "options", "messenger_writable", "data_type", "name", "model")
	archived, archivedSet := f.boolean("archived")
	description, descSet := f.str("description")
	messenger, messengerSet := f.boolean("messenger_writable")
	options := parseOptions(f)
	dataType, dtSet := f.str("data_type")
	if f.err != nil {
		return nil, f.err
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	var a *dataAttribute
	for _, x := range s.st.attrs {
		if x.id == id {
			a = x
		}
	}
	if a == nil {
		return nil, errf(http.StatusNotFound, "field_not_found", "We couldn't find that data attribute to update")
	}
	if dtSet && dataTypes[dataType] != a.dataType {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "The data type of an attribute cannot be changed")
	}
	if archivedSet {
		a.archived = archived
	}
	if descSet {
		a.description = description
	}
	if messengerSet {
		a.messengerWritable = messenger
	}
	if options != nil {
		a.options = options
	}
	a.updatedAt = s.now().Unix()
	return a.json(), nil
}

// normalizeCustomLocked checks a custom attribute value against its
// definition and returns it in stored form (string, int64, float64, bool;
// dates as Unix seconds). nil removes the value.
func (s *Server) normalizeCustomLocked(model, name string, v any) (any, *httpError) {
	a := s.st.attrByName[model][name]
	if a == nil || a.archived {
		return nil, &httpError{status: 400, apiError: apiError{Code: "parameter_invalid",
			Message: fmt.Sprintf("Custom attribute '%s' does not exist", name), Field: "custom_attributes." + name}}
	}
	if v == nil {
		return nil, nil
	}
	bad := func() (any, *httpError) {
		return nil, &httpError{status: 400, apiError: apiError{Code: "parameter_invalid",
			Message: fmt.Sprintf("Custom attribute '%s' must be of type %s, got %s", name, a.dataType, jsonKind(v)),
			Field:   "custom_attributes." + name}}
	}
	switch a.dataType {
	case "string":
		str, ok := v.(string)
		if !ok {
			return bad()
		}
		if len(a.options) > 0 && !contains(a.options, str) {
			return nil, &httpError{status: 400, apiError: apiError{Code: "parameter_invalid",
				Message: fmt.Sprintf("Custom attribute '%s' must be one of: %s", name, strings.Join(a.options, ", ")), Field: "custom_attributes." + name}}
		}
		return str, nil
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			if i, isInt := v.(int64); isInt {
				return i, nil
			}
			if i, isInt := v.(int); isInt {
				return int64(i), nil
			}
			return bad()
		}
		i, err := n.Int64()
		if err != nil {
			return bad()
		}
		return i, nil
	case "float":
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil {
				return bad()
			}
			return f, nil
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		}
		return bad()
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		return b, nil
	case "date":
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil || f != math.Trunc(f) {
				return bad()
			}
			return int64(f), nil
		case int64:
			return x, nil
		case string:
			t, err := time.Parse(time.RFC3339, x)
			if err != nil {
				return bad()
			}
			return t.Unix(), nil
		}
		return bad()
	}
	return bad()
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number, int, int64, float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
