package sync

// MergeOptions returns the Intercom list options after adding the
// Salesforce picklist values in add (F3.2): current is the list as Intercom
// has it now, and its options keep their order and spelling; values it
// lacks (compared as picklist values are, exactly then case-insensitively)
// are appended in the order given. No option is ever removed: an option added
// in Intercom, or by an earlier write ferry's cached copy does not know of,
// stays. changed is false when current already holds every value.
func MergeOptions(current, add []string) (merged []string, changed bool) {
	merged = append([]string(nil), current...)
	for _, v := range add {
		if v == "" {
			continue
		}
		if _, ok := pickValue(merged, v); ok {
			continue
		}
		merged = append(merged, v)
		changed = true
	}
	return merged, changed
}
