package app

import "testing"

func TestPlainWordsDropsSpecificationReferences(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"person deleted in Salesforce: delete the identity mapping only (seed 001, F2.3)": "person deleted in Salesforce: delete the identity mapping only",
		"the admin picked the match of an ambiguous record (F2.2)":                        "the admin picked the match of an ambiguous record",
		"person updated in Salesforce: sync all mapped attributes to Intercom (seed 001)": "person updated in Salesforce: sync all mapped attributes to Intercom",
		"try to match; the person goes to the record the rules pick (F2.2, F3.4)":         "try to match; the person goes to the record the rules pick",
		"Title (the job title) changed":                                                   "Title (the job title) changed",
	} {
		if got := PlainWords(in); got != want {
			t.Errorf("PlainWords(%q) = %q, want %q", in, got, want)
		}
	}
}
