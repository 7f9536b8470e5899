package app

import "regexp"

// specRef matches the specification's behaviour ids and seed numbers that
// the engine's rule texts carry for developers ("(seed 001, F2.3)").
var specRef = regexp.MustCompile(`\s*\((?:(?:seed \d+|F\d+(?:\.\d+)?)(?:, )?)+\)`)

// PlainWords is an engine text (a history rule, a review reason) as admins
// read it: without specification references, which mean nothing outside
// ferry's own development.
func PlainWords(s string) string { return specRef.ReplaceAllString(s, "") }
