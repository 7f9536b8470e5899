package sync

import (
	"reflect"
	"testing"

	"golang.org/x/text/language"
)

func TestCountryName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, want string
		ok         bool
	}{
		{"US", "United States", true},
		{"gb", "United Kingdom", true},
		{" de ", "Germany", true},
		{"KR", "Korea, Republic of", true},
		{"IR", "Iran, Islamic Republic of", true},
		{"VN", "Vietnam", true},
		{"CI", "Cote d'Ivoire", true},
		{"AX", "Aland Islands", true},
		{"PR", "United States", true},
		{"XK", "Kosovo", true},
		{"ZZ", "", false},
		{"", "", false},
		{"USA", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			got, ok := CountryName(tt.code)
			if got != tt.want || ok != tt.ok {
				t.Errorf("CountryName(%q) = %q, %v; want %q, %v", tt.code, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestCountryTableComplete checks the table against every current ISO
// 3166-1 region golang.org/x/text knows; what it lists beyond ours are
// withdrawn or exceptionally reserved codes.
func TestCountryTableComplete(t *testing.T) {
	t.Parallel()
	notCountries := map[string]bool{}
	for _, c := range []string{"AC", "AN", "BU", "CP", "CQ", "CS", "CT", "DD", "DG", "DY", "EA", "EZ", "FQ", "FX", "HV", "IC",
		"JT", "MI", "NH", "NQ", "NT", "PC", "PU", "PZ", "RH", "SU", "TA", "TP", "UN", "VD", "WK", "YD", "YU", "ZR"} {
		notCountries[c] = true
	}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || !r.IsCountry() || notCountries[code] {
				continue
			}
			if _, ok := CountryName(code); !ok {
				t.Errorf("country code %s (%s) has no Salesforce name", code, r.ISO3())
			}
		}
	}
}

func TestContinentName(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]string{"EU": "Europe", "na": "North America", "OC": "Oceania", "XX": ""} {
		if got, _ := ContinentName(code); got != want {
			t.Errorf("ContinentName(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestExpandLocationCodes(t *testing.T) {
	t.Parallel()
	in := map[string]any{AttrCountryCode: "fr", AttrContinentCode: "EU", "phone": "1"}
	got := ExpandLocationCodes(in)
	want := map[string]any{AttrCountryCode: "France", AttrContinentCode: "Europe", "phone": "1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExpandLocationCodes = %v, want %v", got, want)
	}
	if in[AttrCountryCode] != "fr" {
		t.Errorf("ExpandLocationCodes modified its input")
	}
	unknown := ExpandLocationCodes(map[string]any{AttrCountryCode: "QQ", AttrContinentCode: nil})
	if unknown[AttrCountryCode] != "QQ" || unknown[AttrContinentCode] != nil {
		t.Errorf("unknown codes changed: %v", unknown)
	}
	// The expanded name is what Salesforce's restricted country picklist
	// accepts.
	country := SFField{Object: "Lead", Name: "Country", Type: "picklist", RestrictedPicklist: true, Nillable: true, PicklistValues: []string{"France", "Germany"}}
	if v, err := ToSalesforce(got[AttrCountryCode], "string", country); err != nil || v != "France" {
		t.Errorf("ToSalesforce(France) = %v, %v", v, err)
	}
}

func TestQualificationDefaults(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, p := range QualificationDefaults() {
		if p.Intercom == "" || p.Salesforce == "" || seen[p.Salesforce] {
			t.Errorf("bad or duplicate default %+v", p)
		}
		seen[p.Salesforce] = true
	}
	for _, utm := range []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer"} {
		found := false
		for _, p := range QualificationDefaults() {
			found = found || p.Intercom == utm
		}
		if !found {
			t.Errorf("no default for %s (F3.7)", utm)
		}
	}
}
