package app

import (
	"encoding/json"
	"regexp"
	"sort"
)

// specRef matches the specification's behaviour ids and seed numbers that
// the engine's rule texts carry for developers ("(seed 001, F2.3)").
var specRef = regexp.MustCompile(`\s*\((?:(?:seed \d+|F\d+(?:\.\d+)?)(?:, )?)+\)`)

// PlainWords is an engine text (a history rule, a review reason) as admins
// read it: without specification references, which mean nothing outside
// ferry's own development.
func PlainWords(s string) string { return specRef.ReplaceAllString(s, "") }

// FieldChange is one field a history entry wrote: on which side ("salesforce"
// or "intercom"), which field, and the value as JSON.
type FieldChange struct {
	Side  string
	Field string
	Value string
}

// Changes lists what a history entry's changes ({"salesforce": {field:
// value}, "intercom": {…}}) wrote, Salesforce first, fields sorted; nil for
// anything else.
func Changes(raw json.RawMessage) []FieldChange {
	var sides map[string]map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &sides) != nil {
		return nil
	}
	var out []FieldChange
	for _, side := range []string{"salesforce", "intercom"} {
		fields := sides[side]
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			v, _ := json.Marshal(fields[k])
			out = append(out, FieldChange{Side: side, Field: k, Value: string(v)})
		}
	}
	return out
}
