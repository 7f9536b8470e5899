package salesforce

// The control surface does what Salesforce's UI, Setup or SOAP API would do,
// on paths outside Salesforce's own. It authenticates with HTTP Basic
// (the login user's username:password), so it keeps working after tokens are
// revoked or the API is disabled, and it never counts against API limits.
// Bodies are JSON; errors are {"errorCode":"…","message":"…"} with a 4xx.
//
//	POST  /__emulator/convert-lead       {"leadId","accountId"?,"contactId"?,"doNotCreateOpportunity"?,"opportunityName"?,"convertedStatus"?}
//	                                     → {"accountId","contactId","opportunityId"}
//	POST  /__emulator/fields             {"object","name","type","label"?,"length"?,"externalId"?,"unique"?,"required"?,"picklistValues"?,"restrictedPicklist"?}
//	POST  /__emulator/validation-rules   {"object","field","blank"?,"equals"?,"message"}
//	POST  /__emulator/assignment-rules   {"object","name","active","entries":[{"field"?,"value"?,"ownerId"}]} → {"id"}
//	POST  /__emulator/picklist-values    {"object","field","value"}
//	POST  /__emulator/restrict-picklist  {"object","field","restricted":bool}
//	POST  /__emulator/field-security     {"object","field","hidden":bool,"read_only":bool}
//	POST  /__emulator/api-access         {"enabled":bool}
//	POST  /__emulator/limits             {"remaining":N}
//	POST  /__emulator/revoke-all
//	POST  /__emulator/faults             {"latencyMs":N,"errorRate":0.05,"errorStatus":503,"lockRowRate":0.0,"tokenLatencyMs":N}
//	GET   /__emulator/usage              → {"apiCalls":N,"remaining":N}
//	POST  /__emulator/records/{object}        fields → {"id"}    (as a UI user)
//	PATCH /__emulator/records/{object}/{id}   fields → 204       (as a UI user)
//	DELETE /__emulator/records/{object}/{id}  → 204              (as a UI user)
//	POST  /__emulator/records/{object}/{id}/undelete → 204       (from the recycle bin, as a UI user)
//	GET   /__emulator/records/{object}/{id}   → every field, hidden ones included
//	…/__emulator/change-events…               change events and the Pub/Sub API (pubsub_control.go)

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

func (s *Server) controlRoutes(m *http.ServeMux) {
	h := func(pattern string, fn func(r *http.Request) (any, error)) {
		m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || !s.checkPassword(u, p) {
				w.Header().Set("WWW-Authenticate", `Basic realm="salesforce emulator"`)
				writeJSON(w, http.StatusUnauthorized, map[string]string{"errorCode": "UNAUTHORIZED", "message": "HTTP Basic auth with the login user's username and password is required"})
				return
			}
			out, err := fn(r)
			switch {
			case err != nil:
				e := asSFError(err)
				writeJSON(w, e.status, map[string]string{"errorCode": e.code, "message": e.msg})
			case out == nil:
				w.WriteHeader(http.StatusNoContent)
			default:
				writeJSON(w, http.StatusOK, out)
			}
		})
	}
	h("POST /__emulator/convert-lead", withBody(func(in LeadConvert, r *http.Request) (any, error) {
		return s.ConvertLead(in)
	}))
	h("POST /__emulator/fields", withBody(func(in FieldSpec, r *http.Request) (any, error) {
		return nil, s.AddField(in)
	}))
	h("POST /__emulator/validation-rules", withBody(func(in ValidationRule, r *http.Request) (any, error) {
		return nil, s.AddValidationRule(in)
	}))
	h("POST /__emulator/assignment-rules", withBody(func(in AssignmentRuleSpec, r *http.Request) (any, error) {
		id, err := s.AddAssignmentRule(in)
		if err != nil {
			return nil, err
		}
		return map[string]string{"id": id}, nil
	}))
	h("POST /__emulator/picklist-values", withBody(func(in struct{ Object, Field, Value string }, r *http.Request) (any, error) {
		return nil, s.AddPicklistValue(in.Object, in.Field, in.Value)
	}))
	h("POST /__emulator/restrict-picklist", withBody(func(in struct {
		Object, Field string
		Restricted    bool
	}, r *http.Request) (any, error) {
		return nil, s.RestrictPicklist(in.Object, in.Field, in.Restricted)
	}))
	h("POST /__emulator/field-security", withBody(func(in struct {
		Object, Field string
		Hidden        bool
		ReadOnly      bool `json:"read_only"`
	}, r *http.Request) (any, error) {
		if err := s.SetFieldHidden(in.Object, in.Field, in.Hidden); err != nil {
			return nil, err
		}
		return nil, s.SetFieldReadOnly(in.Object, in.Field, in.ReadOnly)
	}))
	h("POST /__emulator/api-access", withBody(func(in struct{ Enabled *bool }, r *http.Request) (any, error) {
		if in.Enabled == nil {
			return nil, errBadRequest("MISSING_ARGUMENT", "enabled is required")
		}
		s.SetAPIEnabled(*in.Enabled)
		return nil, nil
	}))
	h("POST /__emulator/limits", withBody(func(in struct{ Remaining *int }, r *http.Request) (any, error) {
		if in.Remaining == nil || *in.Remaining < 0 {
			return nil, errBadRequest("MISSING_ARGUMENT", "remaining must be a number ≥ 0")
		}
		s.SetAPIRemaining(*in.Remaining)
		return nil, nil
	}))
	h("POST /__emulator/revoke-all", func(r *http.Request) (any, error) {
		s.RevokeAllTokens()
		return nil, nil
	})
	h("POST /__emulator/faults", withBody(func(in Faults, r *http.Request) (any, error) {
		if in.ErrorRate < 0 || in.ErrorRate > 1 || in.LockRowRate < 0 || in.LockRowRate > 1 || in.LatencyMs < 0 || in.TokenLatencyMs < 0 {
			return nil, errBadRequest("INVALID_ARGUMENT", "rates must be within 0–1 and latencyMs, tokenLatencyMs ≥ 0")
		}
		if in.ErrorStatus != 0 && in.ErrorStatus != 500 && in.ErrorStatus != 503 {
			return nil, errBadRequest("INVALID_ARGUMENT", "errorStatus must be 500 or 503")
		}
		s.SetFaults(in)
		return nil, nil
	}))
	h("GET /__emulator/usage", func(r *http.Request) (any, error) {
		return map[string]int64{"apiCalls": s.APICalls(), "remaining": int64(s.APIRemaining())}, nil
	})
	h("POST /__emulator/records/{object}", withBody(func(in map[string]any, r *http.Request) (any, error) {
		id, err := s.CreateRecord(r.PathValue("object"), in)
		if err != nil {
			return nil, err
		}
		return map[string]string{"id": id}, nil
	}))
	h("PATCH /__emulator/records/{object}/{id}", withBody(func(in map[string]any, r *http.Request) (any, error) {
		return nil, s.UpdateRecord(r.PathValue("object"), r.PathValue("id"), in)
	}))
	h("DELETE /__emulator/records/{object}/{id}", func(r *http.Request) (any, error) {
		return nil, s.DeleteRecord(r.PathValue("object"), r.PathValue("id"))
	})
	h("POST /__emulator/records/{object}/{id}/undelete", func(r *http.Request) (any, error) {
		return nil, s.UndeleteRecord(r.PathValue("object"), r.PathValue("id"))
	})
	h("GET /__emulator/records/{object}/{id}", func(r *http.Request) (any, error) {
		rec, ok := s.Record(r.PathValue("object"), r.PathValue("id"))
		if !ok {
			return nil, errNotFound()
		}
		return rec, nil
	})
	s.changeEventRoutes(h)
}

// withBody adapts fn to a control handler that first decodes the JSON body
// into an In.
func withBody[In any](fn func(in In, r *http.Request) (any, error)) func(r *http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		var in In
		if err := decodeBody(r, &in); err != nil {
			return nil, err
		}
		return fn(in, r)
	}
}

// uiWrite runs fn as one write transaction outside any request.
func (s *Server) uiWrite(fn func(tx *txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &txn{s: s, write: true}
	if err := fn(tx); err != nil {
		tx.rollbackTo(0)
		return err
	}
	tx.commit()
	return nil
}

// uiTable runs fn as one write transaction (see uiWrite) on an object's
// table.
func (s *Server) uiTable(object string, fn func(tx *txn, t *table) error) error {
	return s.uiWrite(func(tx *txn) error {
		t := s.tableByName(object)
		if t == nil {
			return errBadRequest("INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", object))
		}
		return fn(tx, t)
	})
}

// CreateRecord creates a record as a UI user would: validated like the API,
// hidden fields writable, no API call counted. It returns the new id.
func (s *Server) CreateRecord(object string, fields map[string]any) (string, error) {
	var id string
	err := s.uiTable(object, func(tx *txn, t *table) error {
		var err error
		id, err = tx.create(t, fields, modeUI)
		return err
	})
	return id, err
}

// UpdateRecord changes a record as a UI user would (no API call counted).
func (s *Server) UpdateRecord(object, id string, fields map[string]any) error {
	return s.uiTable(object, func(tx *txn, t *table) error {
		rec, err := t.liveRecord(id)
		if err != nil {
			return err
		}
		return tx.update(t, rec, fields, modeUI)
	})
}

// DeleteRecord deletes a record as a UI user would (no API call counted).
func (s *Server) DeleteRecord(object, id string) error {
	return s.uiTable(object, func(tx *txn, t *table) error {
		rec, err := t.liveRecord(id)
		if err != nil {
			return err
		}
		tx.removeCascade(t, rec)
		return nil
	})
}

// UndeleteRecord restores a deleted record from the recycle bin as a UI
// user would (no API call counted); its change event is UNDELETE.
func (s *Server) UndeleteRecord(object, id string) error {
	return s.uiTable(object, func(tx *txn, t *table) error {
		full, ok := normalizeID(id)
		if !ok || t.byID[full] == nil {
			return errNotFound()
		}
		r := t.byID[full]
		if !r.deleted {
			return errBadRequest("UNDELETE_FAILED", "Entity is not in the recycle bin")
		}
		tx.restore(t, r)
		return nil
	})
}

// Record returns a copy of a record's fields (hidden ones included, deleted
// records too), or false if there is no such record.
func (s *Server) Record(object, id string) (map[string]any, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tableByName(object)
	if t == nil {
		return nil, false
	}
	full, ok := normalizeID(id)
	if !ok || t.byID[full] == nil {
		return nil, false
	}
	out := map[string]any{}
	for k, v := range t.byID[full].f {
		out[k] = v
	}
	return out, true
}

// Records returns copies of an object's live records in creation order
// (hidden fields included), for tests and benchmarks that check what an
// org holds without spending API calls.
func (s *Server) Records(object string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tableByName(object)
	if t == nil {
		return nil
	}
	var out []map[string]any
	for _, r := range t.order {
		if r.deleted {
			continue
		}
		m := make(map[string]any, len(r.f))
		for k, v := range r.f {
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

// LoadRecords inserts many records fast, for tests and benchmarks: no API
// call is counted, references are not checked, and system fields such as
// CreatedDate, SystemModstamp or Id may be given. Values may be Go strings,
// bools, numbers or time.Time. It returns the new ids in input order; on
// error nothing is loaded.
func (s *Server) LoadRecords(object string, recs []map[string]any) ([]string, error) {
	ids := make([]string, 0, len(recs))
	err := s.uiTable(object, func(tx *txn, t *table) error {
		for i, rec := range recs {
			id, err := tx.create(t, rec, modeLoad)
			if err != nil {
				for j := len(ids) - 1; j >= 0; j-- { // newest first: each is at the end of t.order
					t.remove(t.byID[ids[j]])
				}
				return fmt.Errorf("salesforce: load %s record %d: %w", object, i, err)
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// LeadConvert is the input of ConvertLead, as SOAP's LeadConvert.
type LeadConvert struct {
	LeadID                 string `json:"leadId"`                           // the Lead to convert
	AccountID              string `json:"accountId,omitempty"`              // an existing Account to use; empty creates one
	ContactID              string `json:"contactId,omitempty"`              // an existing Contact to use; empty creates one
	DoNotCreateOpportunity bool   `json:"doNotCreateOpportunity,omitempty"` // skip the Opportunity
	OpportunityName        string `json:"opportunityName,omitempty"`        // default "<Company>-"
	ConvertedStatus        string `json:"convertedStatus,omitempty"`        // the Lead's new Status; default "Closed - Converted"
}

// LeadConvertResult is what ConvertLead created or used.
type LeadConvertResult struct {
	AccountID     string  `json:"accountId"`     // created or given
	ContactID     string  `json:"contactId"`     // created or given
	OpportunityID *string `json:"opportunityId"` // nil when none was created
}

// ConvertLead converts a Lead as SOAP convertLead does: it creates (or uses)
// an Account and a Contact, optionally an Opportunity with the contact as
// primary contact role, moves the lead's open Tasks to the contact, and sets
// the lead's Status, IsConverted, ConvertedDate, Converted*Id and
// SystemModstamp. Everything happens in one transaction.
func (s *Server) ConvertLead(in LeadConvert) (LeadConvertResult, error) {
	var res LeadConvertResult
	err := s.uiWrite(func(tx *txn) error {
		leads := s.tables["lead"]
		lead, err := leads.liveRecord(in.LeadID)
		if err != nil {
			return err
		}
		if lead.f["IsConverted"] == true {
			return errBadRequest("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
		}
		status := in.ConvertedStatus
		if status == "" {
			status = "Closed - Converted"
		}
		if f := leads.obj.field("Status"); !f.hasPicklistValue(status) {
			return errBadRequest("INVALID_STATUS", "invalid convertedStatus: "+status)
		}
		lf := lead.f
		pick := func(m map[string]any, keys ...string) map[string]any {
			out := map[string]any{}
			for i := 0; i+1 < len(keys); i += 2 {
				if v := lf[keys[i]]; v != nil {
					out[keys[i+1]] = v
				}
			}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		owner := lf["OwnerId"]
		if in.AccountID != "" {
			if _, err := s.tables["account"].liveRecord(in.AccountID); err != nil {
				return err
			}
			res.AccountID, _ = normalizeID(in.AccountID)
		} else {
			id, err := tx.create(s.tables["account"], pick(map[string]any{"OwnerId": owner},
				"Company", "Name", "Industry", "Industry", "Website", "Website", "Phone", "Phone",
				"City", "BillingCity", "Country", "BillingCountry", "NumberOfEmployees", "NumberOfEmployees"), modeUI)
			if err != nil {
				return err
			}
			res.AccountID = id
		}
		contacts := s.tables["contact"]
		if in.ContactID != "" {
			c, err := contacts.liveRecord(in.ContactID)
			if err != nil {
				return err
			}
			res.ContactID = c.id
			if c.f["AccountId"] == nil {
				if err := tx.update(contacts, c, map[string]any{"AccountId": res.AccountID}, modeUI); err != nil {
					return err
				}
			}
		} else {
			id, err := tx.create(contacts, pick(map[string]any{"AccountId": res.AccountID, "OwnerId": owner},
				"Salutation", "Salutation", "FirstName", "FirstName", "LastName", "LastName", "Email", "Email",
				"Phone", "Phone", "MobilePhone", "MobilePhone", "Title", "Title", "LeadSource", "LeadSource",
				"City", "MailingCity", "Country", "MailingCountry", "Description", "Description",
				"HasOptedOutOfEmail", "HasOptedOutOfEmail"), modeUI)
			if err != nil {
				return err
			}
			res.ContactID = id
		}
		today := s.stamp().Format("2006-01-02")
		if !in.DoNotCreateOpportunity {
			name := in.OpportunityName
			if name == "" {
				name, _ = lf["Company"].(string)
				name += "-"
			}
			id, err := tx.create(s.tables["opportunity"], pick(map[string]any{
				"Name": name, "AccountId": res.AccountID, "OwnerId": owner, "StageName": "Prospecting",
				"CloseDate": s.stamp().AddDate(0, 0, 30).Format("2006-01-02"),
			}, "LeadSource", "LeadSource"), modeUI)
			if err != nil {
				return err
			}
			res.OpportunityID = &id
			if _, err := tx.create(s.tables["opportunitycontactrole"], map[string]any{
				"OpportunityId": id, "ContactId": res.ContactID, "IsPrimary": true,
			}, modeUI); err != nil {
				return err
			}
		}
		tasks := s.tables["task"]
		for _, t := range tasks.order {
			if !t.deleted && t.f["WhoId"] == lead.id {
				if err := tx.update(tasks, t, map[string]any{"WhoId": res.ContactID}, modeLoad); err != nil {
					return err
				}
			}
		}
		vals := make(map[string]any, len(lf))
		for k, v := range lf {
			vals[k] = v
		}
		vals["Status"] = status
		vals["IsConverted"] = true
		vals["ConvertedDate"] = today
		vals["ConvertedAccountId"] = res.AccountID
		vals["ConvertedContactId"] = res.ContactID
		if res.OpportunityID != nil {
			vals["ConvertedOpportunityId"] = *res.OpportunityID
		}
		vals["SystemModstamp"] = fmtTime(s.stamp())
		tx.replace(leads, lead, vals)
		return nil
	})
	return res, err
}

// FieldSpec describes a custom field to add.
type FieldSpec struct {
	Object             string   `json:"object"`                       // e.g. "Lead"
	Name               string   `json:"name"`                         // must end in __c
	Type               string   `json:"type"`                         // string, email, phone, url, textarea, picklist, boolean, date, datetime, double, currency, percent, int
	Label              string   `json:"label,omitempty"`              // default: Name without __c, _ as spaces
	Length             int      `json:"length,omitempty"`             // text length (≤ 255, default 255) or textarea length
	ExternalID         bool     `json:"externalId,omitempty"`         // usable in upsert paths (text, email, number)
	Unique             bool     `json:"unique,omitempty"`             // refuse duplicate values (text, email, number)
	PicklistValues     []string `json:"picklistValues,omitempty"`     // the active values of a picklist
	RestrictedPicklist bool     `json:"restrictedPicklist,omitempty"` // refuse values not in PicklistValues
	Required           bool     `json:"required,omitempty"`           // "Always require a value": not nillable, so every create must give it
}

var customName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*__c$`)

// AddField adds a custom field to an object, as Setup would. Existing
// records get null (false for checkboxes).
func (s *Server) AddField(spec FieldSpec) error {
	return s.uiTable(spec.Object, func(tx *txn, t *table) error {
		if !customName.MatchString(spec.Name) || strings.Contains(strings.TrimSuffix(spec.Name, "__c"), "__") {
			return errBadRequest("INVALID_FIELD", "custom field names must look like Name__c: "+spec.Name)
		}
		if t.obj.field(spec.Name) != nil {
			return errBadRequest("DUPLICATE_DEVELOPER_NAME", fmt.Sprintf("field %s already exists on %s", spec.Name, t.obj.Name))
		}
		typ := strings.ToLower(spec.Type)
		switch typ {
		case "text":
			typ = typeString
		case "number":
			typ = typeDouble
		case "checkbox":
			typ = typeBoolean
		}
		label := spec.Label
		if label == "" {
			label = strings.ReplaceAll(strings.TrimSuffix(spec.Name, "__c"), "_", " ")
		}
		var f *fieldDef
		switch typ {
		case typeString:
			n := spec.Length
			if n <= 0 {
				n = 255
			}
			if n > 255 {
				return errBadRequest("INVALID_ARGUMENT", "text fields hold at most 255 characters")
			}
			f = fStr(spec.Name, label, n)
		case typePicklist:
			f = fPick(spec.Name, label, spec.RestrictedPicklist, "", spec.PicklistValues...)
		case typeEmail, typePhone, typeURL, typeTextarea, typeBoolean, typeDate, typeDatetime, typeDouble, typeCurrency, typePercent, typeInt:
			f = fTyped(typ, spec.Name, label)
			if spec.Length > 0 && typ == typeTextarea {
				f.Length = spec.Length
			}
		default:
			return errBadRequest("INVALID_TYPE", "unsupported field type: "+spec.Type)
		}
		if spec.ExternalID || spec.Unique {
			switch typ {
			case typeString, typeEmail, typeDouble, typeInt:
			default:
				return errBadRequest("INVALID_ARGUMENT", "only text, email and number fields can be external ids or unique")
			}
		}
		f.Custom, f.ExternalID, f.Unique = true, spec.ExternalID, spec.Unique
		if spec.Required {
			if typ == typeBoolean {
				return errBadRequest("INVALID_ARGUMENT", "checkbox fields cannot be required")
			}
			f.Nillable = false
		}
		if spec.Unique {
			seen := map[string]bool{}
			for _, r := range t.order {
				if k, ok := indexKey(r.f[f.Name]); ok && seen[k] {
					return errBadRequest("DUPLICATE_VALUE", "existing records have duplicate values")
				} else if ok {
					seen[k] = true
				}
			}
		}
		t.obj.addField(f)
		for _, r := range t.order {
			if _, ok := r.f[f.Name]; !ok && f.Type == typeBoolean {
				r.f[f.Name] = false
			}
		}
		if f.indexed() {
			t.addIndex(f)
		}
		s.log.Info("salesforce emulator: field added", "object", t.obj.Name, "field", f.Name, "type", f.Type)
		return nil
	})
}

// changeField runs fn on object.field as one schema change.
func (s *Server) changeField(object, field string, fn func(f *fieldDef) error) error {
	return s.uiTable(object, func(tx *txn, t *table) error {
		f := t.obj.field(field)
		if f == nil {
			return errBadRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", field, t.obj.Name))
		}
		return fn(f)
	})
}

// AddPicklistValue adds an active value to a picklist field.
func (s *Server) AddPicklistValue(object, field, value string) error {
	return s.changeField(object, field, func(f *fieldDef) error {
		if f.Type != typePicklist {
			return errBadRequest("INVALID_FIELD", f.Name+" is not a picklist")
		}
		if value == "" || f.hasPicklistValue(value) {
			return errBadRequest("DUPLICATE_VALUE", "empty or existing picklist value: "+value)
		}
		f.Picklist = append(f.Picklist, picklistValue{Value: value, Label: value, Active: true})
		return nil
	})
}

// RestrictPicklist makes a picklist restricted (or not): restricted
// picklists refuse values not in the list.
func (s *Server) RestrictPicklist(object, field string, restricted bool) error {
	return s.changeField(object, field, func(f *fieldDef) error {
		if f.Type != typePicklist {
			return errBadRequest("INVALID_FIELD", f.Name+" is not a picklist")
		}
		f.RestrictedPicklist = restricted
		return nil
	})
}

// SetFieldHidden applies field-level security: a hidden field is absent from
// describe and queries, and writing it is INVALID_FIELD (as Task.Type is in
// Professional Edition).
func (s *Server) SetFieldHidden(object, field string, hidden bool) error {
	return s.setFieldSecurity(object, field, "hidden", func(f *fieldDef) { f.Hidden = hidden })
}

// setFieldSecurity changes a field's field-level security, which Id and
// required fields cannot have.
func (s *Server) setFieldSecurity(object, field, what string, set func(*fieldDef)) error {
	return s.changeField(object, field, func(f *fieldDef) error {
		if f.Name == "Id" || f.required() {
			return errBadRequest("INVALID_ARGUMENT", "Id and required fields cannot be "+what)
		}
		set(f)
		return nil
	})
}

// SetFieldReadOnly applies read-only field-level security: the API user
// still reads the field (describe, queries, change events) but describe
// says it is neither createable nor updateable and writing it is
// INVALID_FIELD_FOR_INSERT_UPDATE. People in the UI still edit it.
func (s *Server) SetFieldReadOnly(object, field string, readOnly bool) error {
	return s.setFieldSecurity(object, field, "made read-only", func(f *fieldDef) { f.ReadOnly = readOnly })
}
