package app

import (
	"errors"
	"net/http"
	"strings"

	"github.com/ferrysync/ferry/internal/salesforce"
)

// salesforceRefusal turns Salesforce's refusal of a record an inbox action
// creates — a validation error (400), not an outage — into an Invalid
// error that says which field and what to do, so the form comes back with
// it; any other error is returned as it is.
func salesforceRefusal(object string, err error) error {
	var ae *salesforce.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		return err
	}
	fields := strings.Join(ae.Fields, ", ")
	msg := strings.TrimSuffix(strings.TrimSpace(ae.Message), ".")
	switch {
	case ae.Code == salesforce.CodeRequiredFieldMissing:
		return errorf(Invalid, "Salesforce requires %s for a new %s, which ferry does not fill. Ask your ferry admin to map it, or create the %s in Salesforce.",
			fields, object, object)
	case ae.Code == salesforce.CodeInvalidOrNullForRestrictedPicklist:
		return errorf(Invalid, "Salesforce refused the value of %s (%s). Ask your Salesforce admin to add the value to the field's picklist, or your ferry admin to change what ferry sends.",
			fields, msg)
	case fields != "":
		return errorf(Invalid, "Salesforce refused the new %s because of %s: %s.", object, fields, msg)
	}
	return errorf(Invalid, "Salesforce refused the new %s: %s.", object, msg)
}
