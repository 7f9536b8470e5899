package settings

import (
	"fmt"
	"testing"

	"github.com/ferrysync/ferry/internal/sync"
)

// BenchmarkValidate validates a document with 200 mappings against a
// catalog of 500 fields per object, a large org's settings.
func BenchmarkValidate(b *testing.B) {
	c := catalog()
	d := Default()
	for i := range 500 {
		name := fmt.Sprintf("Field%d__c", i)
		c.Salesforce["Lead"] = append(c.Salesforce["Lead"], sync.SFField{Object: "Lead", Name: name, Type: "string", Updateable: true, Nillable: true})
		c.Intercom["contact"] = append(c.Intercom["contact"], sync.ICAttribute{Name: name, FullName: "custom_attributes." + name, DataType: "string", APIWritable: true})
		if i < 200 {
			d.Mappings = append(d.Mappings, Mapping{Object: "lead", Intercom: "custom_attributes." + name, Salesforce: name, Direction: "both"})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if ps := Validate(d, c); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}
