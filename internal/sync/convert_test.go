package sync

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func field(typ string, mods ...func(*SFField)) SFField {
	f := SFField{Object: "Lead", Name: "F", Type: typ, Createable: true, Updateable: true, Nillable: true}
	for _, m := range mods {
		m(&f)
	}
	return f
}

func TestCompatible(t *testing.T) {
	t.Parallel()
	allSF := []string{"string", "textarea", "email", "phone", "url", "picklist", "int", "double", "currency", "percent", "boolean", "date", "datetime", "reference", "id", "multipicklist"}
	want := map[string][]string{
		"string":   {"string", "textarea", "email", "phone", "url", "picklist"},
		"text":     {"string", "textarea", "email", "phone", "url", "picklist"},
		"integer":  {"int", "double", "currency"},
		"float":    {"double", "currency", "percent"},
		"boolean":  {"boolean"},
		"date":     {"date", "datetime"},
		"datetime": {"date", "datetime"},
		"options":  nil,
	}
	for ic, ok := range want {
		for _, sf := range allSF {
			expect := false
			for _, o := range ok {
				expect = expect || o == sf
			}
			t.Run(ic+"/"+sf, func(t *testing.T) {
				t.Parallel()
				if got := Compatible(ic, field(sf)); got != expect {
					t.Errorf("Compatible(%q, %q) = %v, want %v", ic, sf, got, expect)
				}
			})
		}
	}
}

func TestToSalesforce(t *testing.T) {
	t.Parallel()
	restricted := func(f *SFField) {
		f.Name, f.PicklistValues, f.RestrictedPicklist = "Status", []string{"Open", "Working"}, true
	}
	tests := []struct {
		name    string
		value   any
		icType  string
		field   SFField
		want    any
		wantErr string
	}{
		{"text to string", "CTO", "string", field("string"), "CTO", ""},
		{"number held in text attribute", float64(42), "string", field("string"), "42", ""},
		{"empty string clears", "", "string", field("string"), nil, ""},
		{"nil clears", nil, "string", field("phone"), nil, ""},
		{"clearing a required field", nil, "string", field("string", func(f *SFField) { f.Name, f.Nillable = "LastName", false }), nil, "Lead.LastName cannot be empty"},
		{"length limit", strings.Repeat("é", 11), "string", field("string", func(f *SFField) { f.Name, f.Length = "Title", 10 }), nil, "11 characters, longer than the maximum length 10 of Lead.Title"},
		{"length at limit counts runes", strings.Repeat("é", 10), "string", field("string", func(f *SFField) { f.Length = 10 }), strings.Repeat("é", 10), ""},
		{"email", "ann@example.com", "string", field("email"), "ann@example.com", ""},
		{"not an email", "ann at example", "string", field("email", func(f *SFField) { f.Name = "Email" }), nil, `value "ann at example" is not an email address for Lead.Email`},
		{"two @", "a@b@example.com", "string", field("email"), nil, "is not an email address"},
		{"restricted picklist value", "Open", "string", field("picklist", restricted), "Open", ""},
		{"restricted picklist case-insensitive", "working", "string", field("picklist", restricted), "Working", ""},
		{"restricted picklist unknown", "Closed", "string", field("picklist", restricted), nil, `value "Closed" is not in the restricted picklist Lead.Status`},
		{"unrestricted picklist passes", "Closed", "string", field("picklist", func(f *SFField) { f.PicklistValues = []string{"Open"} }), "Closed", ""},
		{"integer to int", json.Number("12"), "integer", field("int"), int64(12), ""},
		{"integer float64 to int", float64(12), "integer", field("int"), int64(12), ""},
		{"not an integer", "abc", "integer", field("int", func(f *SFField) { f.Name = "NumberOfEmployees" }), nil, `value "abc" is not an integer for Lead.NumberOfEmployees`},
		{"fraction is not an integer", 1.5, "integer", field("int"), nil, "value 1.5 is not an integer for Lead.F"},
		{"int out of 32-bit range", int64(1) << 40, "integer", field("int"), nil, "out of range for Lead.F"},
		{"int precision", int64(12345), "integer", field("int", func(f *SFField) { f.Precision = 4 }), nil, "more than the 4 digits"},
		{"integer to currency", int64(5000), "integer", field("currency"), int64(5000), ""},
		{"float to percent", 12.5, "float", field("percent"), 12.5, ""},
		{"float precision", 123.5, "float", field("double", func(f *SFField) { f.Precision, f.Scale = 4, 2 }), nil, "more than the 2 digits before the decimal point"},
		{"float not a number", "x", "float", field("double"), nil, `value "x" is not a number for Lead.F`},
		{"boolean", true, "boolean", field("boolean"), true, ""},
		{"boolean nil is false", nil, "boolean", field("boolean", func(f *SFField) { f.Nillable = false }), false, ""},
		{"boolean bad", "maybe", "boolean", field("boolean"), nil, `value "maybe" is not true or false`},
		{"date", int64(1719492777), "date", field("date"), "2024-06-27", ""},
		{"datetime", float64(1719492777), "date", field("datetime"), "2024-06-27T12:52:57.000+0000", ""},
		{"datetime from ISO string", "2024-06-27T12:52:57Z", "date", field("datetime"), "2024-06-27T12:52:57.000+0000", ""},
		{"date bad", "soon", "date", field("date"), nil, `value "soon" is not a date for Lead.F`},
		{"incompatible", "x", "integer", field("textarea", func(f *SFField) { f.Name = "Description" }), nil, "integer attribute cannot map to Salesforce textarea field Lead.Description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ToSalesforce(tt.value, tt.icType, tt.field)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ToSalesforce(%v) error = %v, want containing %q", tt.value, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ToSalesforce(%v): %v", tt.value, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ToSalesforce(%v) = %#v, want %#v", tt.value, got, tt.want)
			}
		})
	}
}

func TestToIntercom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   any
		field   SFField
		icType  string
		want    any
		wantErr string
	}{
		{"string", "CTO", field("string"), "string", "CTO", ""},
		{"picklist value not in Intercom list still passes", "Working", field("picklist"), "string", "Working", ""},
		{"null clears", nil, field("string"), "string", nil, ""},
		{"empty clears", "", field("email"), "string", nil, ""},
		{"int", float64(250), field("int"), "integer", int64(250), ""},
		{"currency with cents to integer", 10.5, field("currency", func(f *SFField) { f.Name = "AnnualRevenue" }), "integer", nil, "value 10.5 of Lead.AnnualRevenue is not an integer"},
		{"double", 0.25, field("double"), "float", 0.25, ""},
		{"json number", json.Number("3.75"), field("percent"), "float", 3.75, ""},
		{"boolean", false, field("boolean"), "boolean", false, ""},
		{"date", "2024-06-27", field("date"), "date", int64(1719446400), ""},
		{"datetime", "2024-06-27T12:52:57.000+0000", field("datetime"), "date", int64(1719492777), ""},
		{"datetime Z", "2024-06-27T12:52:57.000Z", field("datetime"), "date", int64(1719492777), ""},
		{"datetime offset", "2024-06-27T14:52:57+02:00", field("datetime"), "date", int64(1719492777), ""},
		{"bad date", "27/06/2024", field("date"), "date", nil, "is not a Salesforce date or datetime"},
		{"incompatible", "x", field("boolean"), "string", nil, "salesforce boolean field Lead.F cannot map to a string attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ToIntercom(tt.value, tt.field, tt.icType)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ToIntercom(%v) error = %v, want containing %q", tt.value, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ToIntercom(%v): %v", tt.value, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ToIntercom(%v) = %#v, want %#v", tt.value, got, tt.want)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	pick := field("picklist", func(f *SFField) { f.PicklistValues = []string{"Web", "Phone", "Partner"} })
	tests := []struct {
		name       string
		attr       ICAttribute
		restricted bool
		missing    []string
		unsendable []string
	}{
		{"list lacking options", ICAttribute{DataType: "string", Options: []string{"web", "Event"}}, true, []string{"Phone", "Partner"}, []string{"Event"}},
		{"complete list", ICAttribute{DataType: "string", Options: []string{"Web", "Phone", "Partner"}}, true, nil, nil},
		{"unrestricted accepts anything", ICAttribute{DataType: "string", Options: []string{"Event"}}, false, []string{"Web", "Phone", "Partner"}, nil},
		{"not a list", ICAttribute{DataType: "string"}, true, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := pick
			f.RestrictedPicklist = tt.restricted
			if got := MissingOptions(tt.attr, f); !reflect.DeepEqual(got, tt.missing) {
				t.Errorf("MissingOptions = %v, want %v", got, tt.missing)
			}
			if got := UnsendableOptions(tt.attr, f); !reflect.DeepEqual(got, tt.unsendable) {
				t.Errorf("UnsendableOptions = %v, want %v", got, tt.unsendable)
			}
		})
	}
}

func TestCandidateFields(t *testing.T) {
	t.Parallel()
	fields := []SFField{
		field("phone", func(f *SFField) { f.Name = "Phone" }),
		field("string", func(f *SFField) { f.Name = "Title" }),
		field("string", func(f *SFField) { f.Name, f.Updateable = "ReadOnly", false }),
		field("int", func(f *SFField) { f.Name = "NumberOfEmployees" }),
		field("picklist", func(f *SFField) { f.Name = "Status" }),
	}
	names := func(fs []SFField) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return out
	}
	writable := ICAttribute{FullName: "custom_attributes.job_title", DataType: "string", APIWritable: true}
	readOnly := ICAttribute{FullName: "last_seen_ip", DataType: "string"}
	tests := []struct {
		name string
		attr ICAttribute
		dir  Direction
		want []string
	}{
		{"both ways: writable text fields only", writable, DirBoth, []string{"Phone", "Title", "Status"}},
		{"into Intercom: read-only fields may be sources", writable, DirToIntercom, []string{"Phone", "Title", "ReadOnly", "Status"}},
		{"read-only attribute cannot receive", readOnly, DirBoth, nil},
		{"read-only attribute can send", readOnly, DirToSalesforce, []string{"Phone", "Title", "Status"}},
		{"integer attribute", ICAttribute{DataType: "integer", APIWritable: true}, DirBoth, []string{"NumberOfEmployees"}},
		{"bad direction", writable, "sideways", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := names(CandidateFields(tt.attr, fields, tt.dir)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("CandidateFields = %v, want %v", got, tt.want)
			}
		})
	}
}
