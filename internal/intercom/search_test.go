package intercom_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/ferrysync/ferry/internal/intercom"
)

func TestQueryValidate(t *testing.T) {
	t.Parallel()
	f := intercom.Field
	many := func(n int) []intercom.Query {
		qs := make([]intercom.Query, n)
		for i := range qs {
			qs[i] = f("email", intercom.OpEq, fmt.Sprintf("u%d@x.com", i))
		}
		return qs
	}
	tests := []struct {
		name    string
		q       intercom.Query
		fields  intercom.FieldSet
		wantErr bool
	}{
		{"EmailEquals", f("email", intercom.OpEq, "a@b.com"), intercom.ContactFields(), false},
		{"EmailContains", f("email", intercom.OpContains, "@acme.com"), intercom.ContactFields(), false},
		{"EmailGreater", f("email", intercom.OpGt, "a"), intercom.ContactFields(), true},
		{"DateGreater", f("created_at", intercom.OpGt, "1306054154"), intercom.ContactFields(), false},
		{"DateGreaterOrEqual", f("created_at", intercom.OpGte, 1306054154), intercom.ContactFields(), true},
		{"DateNotEqual", f("updated_at", intercom.OpNe, 1306054154), intercom.ContactFields(), true},
		{"DateNotANumber", f("created_at", intercom.OpGt, "yesterday"), intercom.ContactFields(), true},
		{"TagNotContains", f("tag_id", intercom.OpContains, "12"), intercom.ContactFields(), true},
		{"TagEquals", f("tag_id", intercom.OpEq, "12"), intercom.ContactFields(), false},
		{"OwnerIn", f("owner_id", intercom.OpIn, []int{1, 2}), intercom.ContactFields(), false},
		{"OwnerInStrings", f("owner_id", intercom.OpIn, []string{"1", "x"}), intercom.ContactFields(), true},
		{"InNeedsList", f("email", intercom.OpIn, "a@b.com"), intercom.ContactFields(), true},
		{"InEmptyList", f("email", intercom.OpIn, []string{}), intercom.ContactFields(), true},
		{"NullEquals", f("email", intercom.OpEq, nil), intercom.ContactFields(), false},
		{"NullContains", f("email", intercom.OpContains, nil), intercom.ContactFields(), true},
		{"CustomAttribute", f("custom_attributes.sf_id", intercom.OpEq, "001x"), intercom.ContactFields(), false},
		{"CustomAttributeNoName", f("custom_attributes.", intercom.OpEq, "001x"), intercom.ContactFields(), true},
		{"UnknownField", f("shoe_size", intercom.OpEq, "9"), intercom.ContactFields(), true},
		{"UnknownOperator", f("email", "LIKE", "a"), intercom.ContactFields(), true},
		{"MissingField", f("", intercom.OpEq, "a"), intercom.ContactFields(), true},
		{"BooleanField", f("open", intercom.OpEq, true), intercom.ConversationFields(), false},
		{"BooleanFieldBadValue", f("open", intercom.OpEq, "maybe"), intercom.ConversationFields(), true},
		{"ObjectValue", f("email", intercom.OpEq, map[string]any{"a": 1}), intercom.ContactFields(), true},
		{"ReferenceExample", intercom.And(
			f("created_at", intercom.OpGt, "1306054154"),
			intercom.Or(f("email", intercom.OpContains, "@acme.com"), f("custom_attributes.sf_id", intercom.OpEq, "001x")),
		), intercom.ContactFields(), false},
		{"ThreeLevels", intercom.And(intercom.Or(intercom.And(f("email", intercom.OpEq, "a")))), intercom.ContactFields(), true},
		{"FifteenFilters", intercom.Or(many(15)...), intercom.ContactFields(), false},
		{"SixteenFilters", intercom.Or(many(16)...), intercom.ContactFields(), true},
		{"SixteenFiltersNested", intercom.And(f("role", intercom.OpEq, "user"), intercom.Or(many(16)...)), intercom.ContactFields(), true},
		{"EmptyGroup", intercom.And(), intercom.ContactFields(), true},
		{"GroupWithField", intercom.Query{Field: "email", Operator: intercom.OpAnd, Group: many(1)}, intercom.ContactFields(), true},
		{"LeafWithMembers", intercom.Query{Field: "email", Operator: intercom.OpEq, Value: "a", Group: many(1)}, intercom.ContactFields(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.q.Validate(tt.fields)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, intercom.ErrInvalidQuery) {
				t.Fatalf("error %v does not wrap ErrInvalidQuery", err)
			}
		})
	}
}

func TestQueryJSON(t *testing.T) {
	t.Parallel()
	q := intercom.And(
		intercom.Field("created_at", intercom.OpGt, "1306054154"),
		intercom.Or(intercom.Field("email", intercom.OpContains, "@acme.com"), intercom.Field("owner_id", intercom.OpIn, []int{7, 8})),
	)
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	// Compare as generic JSON so key order does not matter.
	var got, want any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"operator":"AND","value":[{"field":"created_at","operator":">","value":"1306054154"},
		{"operator":"OR","value":[{"field":"email","operator":"~","value":"@acme.com"},{"field":"owner_id","operator":"IN","value":[7,8]}]}]}`
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("wire form\n got %s\nwant %s", b, wantJSON)
	}
	var back intercom.Query
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(intercom.ContactFields()); err != nil {
		t.Fatalf("decoded query invalid: %v", err)
	}
	b2, _ := json.Marshal(back)
	if string(b2) != string(b) {
		t.Fatalf("round trip changed the query:\n%s\n%s", b, b2)
	}
}
