package settings

import "strings"

// Rematch says which records must be matched again after the settings
// change from before (nil: none were saved yet) to after: matching ran (or
// waited) without them, or with another key, and records it could not match
// then may match now (F2.1, F2.5, F3.8).
type Rematch struct {
	// People: the first settings, or another person key.
	People bool
	// Companies: account sync turned on (first settings with an Account
	// field, or another field).
	Companies bool
}

// Any reports whether anything must be matched again.
func (r Rematch) Any() bool { return r.People || r.Companies }

// RematchAfter compares the matching keys of two settings documents.
// Attribute mappings do not change who matches whom, so they never call for
// a rematch.
func RematchAfter(before *Document, after Document) Rematch {
	company := strings.TrimSpace(after.Identity.Company.Salesforce)
	if before == nil {
		return Rematch{People: true, Companies: company != ""}
	}
	return Rematch{
		People:    personKey(before.Identity.Person) != personKey(after.Identity.Person),
		Companies: company != "" && !strings.EqualFold(company, strings.TrimSpace(before.Identity.Company.Salesforce)),
	}
}

// personKey is a person key with its defaults filled in, so that "" and
// "email" / "Email" compare equal.
func personKey(k PersonKey) PersonKey {
	if k.Intercom == "" {
		k.Intercom = PersonKeyEmail
	}
	if strings.TrimSpace(k.Salesforce) == "" {
		k.Salesforce = "Email"
	}
	k.Salesforce = strings.ToLower(strings.TrimSpace(k.Salesforce))
	return k
}
