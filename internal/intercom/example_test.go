package intercom_test

import (
	"encoding/json"
	"fmt"

	"github.com/ferrysync/ferry/internal/intercom"
)

// A search for contacts created after a date whose email is at acme.com or
// who carry a Salesforce id, in Intercom's wire form.
func ExampleAnd() {
	q := intercom.And(
		intercom.Field("created_at", intercom.OpGt, "1306054154"),
		intercom.Or(
			intercom.Field("email", intercom.OpContains, "@acme.com"),
			intercom.Field("custom_attributes.sf_id", intercom.OpEq, "001x"),
		),
	)
	if err := q.Validate(intercom.ContactFields()); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(q)
	fmt.Println(string(b))
	// Output:
	// {"operator":"AND","value":[{"field":"created_at","operator":"\u003e","value":"1306054154"},{"operator":"OR","value":[{"field":"email","operator":"~","value":"@acme.com"},{"field":"custom_attributes.sf_id","operator":"=","value":"001x"}]}]}
}

// Validation catches what Intercom would refuse, before any call.
func ExampleQuery_Validate() {
	err := intercom.Field("created_at", intercom.OpContains, "2024").Validate(intercom.ContactFields())
	fmt.Println(err)
	// Output:
	// intercom: invalid search query: query: operator "~" not allowed on field "created_at"
}

func ExampleAuthorizeURL() {
	fmt.Println(intercom.AuthorizeURL(intercom.DefaultAuthorizeURL, "my-client-id", "csrf-state", ""))
	// Output:
	// https://app.intercom.com/oauth?client_id=my-client-id&state=csrf-state
}

func ExampleIsConflict() {
	err := fmt.Errorf("create: %w", &intercom.APIError{StatusCode: 409, Code: "conflict",
		Message: "A contact matching those details already exists with id=667d60a98a68186f43bafdb9"})
	id, ok := intercom.IsConflict(err)
	fmt.Println(id, ok)
	// Output:
	// 667d60a98a68186f43bafdb9 true
}
