package settings

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that Check never panics on what
// it returns, and that a parsed document survives MarshalIndent and Parse
// unchanged.
func FuzzParse(f *testing.F) {
	sample, _ := Sample().MarshalIndent()
	f.Add(sample)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"mappings":[{"object":"lead"}],"poll_interval":"1s"}`))
	f.Add([]byte(`{"mappings":[1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		_ = Check(d)
		_ = Validate(d, catalog())
		b, err := d.MarshalIndent()
		if err != nil {
			t.Fatalf("MarshalIndent: %v", err)
		}
		back, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse(MarshalIndent(d)): %v\n%s", err, b)
		}
		if !reflect.DeepEqual(back, d) {
			t.Fatalf("round trip changed the document:\n%+v\n%+v", d, back)
		}
	})
}
