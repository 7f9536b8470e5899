package sync

import (
	"math"
	"testing"
	"unicode/utf8"
)

var fuzzSFTypes = []string{"string", "textarea", "email", "phone", "url", "picklist", "int", "double", "currency", "percent", "boolean", "date", "datetime", "reference"}
var fuzzICTypes = []string{"string", "integer", "float", "boolean", "date", "datetime", "options"}

// FuzzConvert checks that conversions never panic on any input, and that
// the lossless pairs round-trip: text, 32-bit integers, booleans and
// datetimes to the second.
func FuzzConvert(f *testing.F) {
	f.Add("hello", int64(42), 1.5, true, uint8(0), uint8(0), 10, false)
	f.Add("", int64(-1), math.Inf(1), false, uint8(6), uint8(1), 0, true)
	f.Add("2024-06-27T12:52:57.000+0000", int64(1719492777), 0.0, false, uint8(12), uint8(4), 0, false)
	f.Add("Open", int64(1)<<40, math.NaN(), true, uint8(5), uint8(0), 3, true)
	f.Fuzz(func(t *testing.T, s string, n int64, x float64, b bool, sfi, ici uint8, length int, restricted bool) {
		fld := SFField{Object: "Lead", Name: "F", Type: fuzzSFTypes[int(sfi)%len(fuzzSFTypes)], Nillable: true,
			Length: length % 300, PicklistValues: []string{"Open", "Working"}, RestrictedPicklist: restricted}
		icType := fuzzICTypes[int(ici)%len(fuzzICTypes)]
		for _, v := range []any{s, n, x, b, nil} {
			// Neither direction may panic, whatever the value.
			_, _ = ToSalesforce(v, icType, fld)
			_, _ = ToIntercom(v, fld, icType)
		}

		// Lossless round trips.
		text := SFField{Object: "Lead", Name: "T", Type: "textarea", Nillable: true}
		if utf8.ValidString(s) {
			out, err := ToSalesforce(s, "string", text)
			if err != nil {
				t.Fatalf("ToSalesforce(%q) to textarea: %v", s, err)
			}
			back, err := ToIntercom(out, text, "string")
			if err != nil {
				t.Fatalf("ToIntercom(%q): %v", out, err)
			}
			if want := any(s); s == "" {
				if back != nil {
					t.Fatalf("empty text came back as %#v", back)
				}
			} else if back != want {
				t.Fatalf("text round trip %q → %#v → %#v", s, out, back)
			}
		}
		num := SFField{Object: "Lead", Name: "N", Type: "int", Nillable: true}
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			out, err := ToSalesforce(n, "integer", num)
			if err != nil {
				t.Fatalf("ToSalesforce(%d): %v", n, err)
			}
			// Salesforce answers in JSON, where the number is a float64.
			back, err := ToIntercom(float64(out.(int64)), num, "integer")
			if err != nil || back != n {
				t.Fatalf("integer round trip %d → %v → %v, %v", n, out, back, err)
			}
		}
		boolean := SFField{Object: "Lead", Name: "B", Type: "boolean"}
		out, err := ToSalesforce(b, "boolean", boolean)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := ToIntercom(out, boolean, "boolean"); err != nil || back != b {
			t.Fatalf("boolean round trip %v → %v, %v", b, back, err)
		}
		dt := SFField{Object: "Lead", Name: "D", Type: "datetime", Nillable: true}
		if sec := n % 253402300799; sec >= 0 {
			out, err := ToSalesforce(sec, "date", dt)
			if err != nil {
				t.Fatalf("ToSalesforce(%d) to datetime: %v", sec, err)
			}
			if back, err := ToIntercom(out, dt, "date"); err != nil || back != sec {
				t.Fatalf("datetime round trip %d → %v → %v, %v", sec, out, back, err)
			}
		}
	})
}

// FuzzPlan checks that Plan never panics and that an echo of what it wrote
// plans nothing.
func FuzzPlan(f *testing.F) {
	f.Add("a", "b", int64(5), int64(3), true)
	f.Add("", "x", int64(0), int64(0), false)
	f.Fuzz(func(t *testing.T, icv, sfv string, icAt, sfAt int64, both bool) {
		ms := planMappings()
		changes := []RecordChange{ic(int(icAt%1000), "phone", icv, "custom_attributes.seats", icv, "custom_attributes.stage", icv)}
		if both {
			changes = append(changes, sf(int(sfAt%1000), "Phone", sfv, "Status", sfv, "NumberOfEmployees", sfv))
		}
		p := Plan(ms, RecordState{}, changes)
		state := p.State()
		// Each side reports back exactly what ferry wrote: nothing to do.
		var echoes []RecordChange
		if len(p.ToSalesforce) > 0 {
			echoes = append(echoes, RecordChange{Side: Salesforce, At: at(2000), Values: p.ToSalesforce})
		}
		if len(p.ToIntercom) > 0 {
			echoes = append(echoes, RecordChange{Side: Intercom, At: at(2000), Values: p.ToIntercom})
		}
		if again := Plan(ms, state, echoes); !again.Empty() {
			t.Fatalf("echo planned writes: %v / %v (first plan %v / %v)", again.ToIntercom, again.ToSalesforce, p.ToIntercom, p.ToSalesforce)
		}
	})
}
