package pubsubapi

import (
	"fmt"
	"reflect"
	"testing"
)

// accountSchema has the live Account order of the reference's worked
// example: BillingAddress is field 4, ShippingAddress (the same named
// Address type, referenced by name) field 5, LastModifiedDate field 22.
func accountSchema() string {
	fields := `{"name":"ChangeEventHeader","type":{"type":"record","name":"ChangeEventHeader","fields":[{"name":"entityName","type":"string"}]}},
{"name":"Name","type":["null","string",{"type":"record","name":"Switchable_PersonName","fields":[{"name":"Salutation","type":["null","string"]},{"name":"FirstName","type":["null","string"]},{"name":"LastName","type":["null","string"]}]}],"default":null},
{"name":"Type","type":["null","string"],"default":null},
{"name":"ParentId","type":["null","string"],"default":null},
{"name":"BillingAddress","type":["null",{"type":"record","name":"Address","fields":[{"name":"Street","type":["null","string"]},{"name":"City","type":["null","string"]},{"name":"State","type":["null","string"]},{"name":"PostalCode","type":["null","string"]},{"name":"Country","type":["null","string"]}]}],"default":null},
{"name":"ShippingAddress","type":["null","Address"],"default":null}`
	for i := 6; i < 22; i++ {
		fields += fmt.Sprintf(`,{"name":"F%d","type":["null","string"],"default":null}`, i)
	}
	fields += `,{"name":"LastModifiedDate","type":["null","long"],"default":null}`
	return `{"type":"record","name":"AccountChangeEvent","namespace":"com.sforce.eventbus","fields":[` + fields + `]}`
}

func TestSchemaFields(t *testing.T) {
	t.Parallel()
	fields, err := SchemaFields(accountSchema())
	if err != nil {
		t.Fatal(err)
	}
	if len(fields) != 23 {
		t.Fatalf("got %d fields, want 23", len(fields))
	}
	address := []string{"Street", "City", "State", "PostalCode", "Country"}
	checks := []struct {
		i        int
		name     string
		children []string
	}{
		{0, "ChangeEventHeader", []string{"entityName"}},
		{1, "Name", []string{"Salutation", "FirstName", "LastName"}},
		{2, "Type", nil},
		{4, "BillingAddress", address},
		{5, "ShippingAddress", address},
		{22, "LastModifiedDate", nil},
	}
	for _, c := range checks {
		if fields[c.i].Name != c.name || !reflect.DeepEqual(fields[c.i].Children, c.children) {
			t.Errorf("field %d = %+v, want %s %v", c.i, fields[c.i], c.name, c.children)
		}
	}
	for _, bad := range []string{`nope`, `{"type":"enum"}`} {
		if _, err := SchemaFields(bad); err == nil {
			t.Errorf("SchemaFields(%q) succeeded", bad)
		}
	}
}

func TestBitmap(t *testing.T) {
	t.Parallel()
	fields, err := SchemaFields(accountSchema())
	if err != nil {
		t.Fatal(err)
	}
	wide := make([]Field, 31)
	for i := range wide {
		wide[i] = Field{Name: fmt.Sprintf("f%d", i)}
	}
	tests := []struct {
		name   string
		fields []Field
		names  []string
		bitmap []string
	}{
		{"nothing changed", fields, nil, []string{}},
		{"one top-level field", fields, []string{"Type"}, []string{"0x04"}},
		{"even-length uppercase hex", fields, []string{"F11"}, []string{"0x0800"}},
		{"the reference's example: LastModifiedDate and BillingAddress.State", fields, []string{"BillingAddress.State", "LastModifiedDate"}, []string{"0x400000", "4-0x04"}},
		{"children of two compound fields", fields, []string{"Name.LastName", "BillingAddress.City", "ShippingAddress.Street", "ShippingAddress.Country"}, []string{"0x00", "1-0x04", "4-0x02", "5-0x11"}},
		{"the documented 0x650004E0", wide, []string{"f5", "f6", "f7", "f10", "f24", "f26", "f29", "f30"}, []string{"0x650004E0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeBitmap(tt.fields, tt.names)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.bitmap) {
				t.Errorf("EncodeBitmap = %q, want %q", got, tt.bitmap)
			}
			back, err := DecodeBitmap(tt.fields, tt.bitmap)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.names
			if len(want) == 0 {
				want = nil
			}
			// Decoding gives schema order, which the cases are written in
			// except for the reference's example.
			if tt.name == "the reference's example: LastModifiedDate and BillingAddress.State" {
				want = []string{"BillingAddress.State", "LastModifiedDate"}
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("DecodeBitmap = %q, want %q", back, want)
			}
		})
	}
}

func TestDecodeBitmapTolerates(t *testing.T) {
	t.Parallel()
	fields, err := SchemaFields(accountSchema())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		bitmap []string
		want   []string
	}{
		{"odd-length hex", []string{"0x4"}, []string{"Type"}},
		{"lowercase hex", []string{"0x0c"}, []string{"Type", "ParentId"}},
		{"parent bit set with a child element", []string{"0x400010", "4-0x04"}, []string{"BillingAddress.State", "LastModifiedDate"}},
		{"parent bit alone names the parent", []string{"0x10"}, []string{"BillingAddress"}},
		{"no element 0", []string{"1-0x02"}, []string{"Name.FirstName"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBitmap(fields, tt.bitmap)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeBitmap(%q) = %q, want %q", tt.bitmap, got, tt.want)
			}
		})
	}
}

func TestBitmapErrors(t *testing.T) {
	t.Parallel()
	fields, err := SchemaFields(accountSchema())
	if err != nil {
		t.Fatal(err)
	}
	for _, names := range [][]string{{"Nope"}, {"BillingAddress.Nope"}, {"Type.Child"}} {
		if _, err := EncodeBitmap(fields, names); err == nil {
			t.Errorf("EncodeBitmap(%q) succeeded", names)
		}
	}
	for _, bm := range [][]string{{"0xZZ"}, {"0x"}, {"99-0x01"}, {"x-0x01"}, {"4-0x40"}, {"0x01000000000"}, {"4"}} {
		if _, err := DecodeBitmap(fields, bm); err == nil {
			t.Errorf("DecodeBitmap(%q) succeeded", bm)
		}
	}
}
