package sync

import (
	"reflect"
	"testing"
)

// TestMergeOptions: ferry adds Salesforce picklist values to an Intercom
// list and never removes one (F3.2).
func TestMergeOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		current  []string
		add      []string
		want     []string
		wantDiff bool
	}{
		{"adds a missing value", []string{"Gold"}, []string{"Silver"}, []string{"Gold", "Silver"}, true},
		{"keeps an option added by an earlier write (issue 8 item 9)", []string{"Gold", "Silver"}, []string{"Bronze"}, []string{"Gold", "Silver", "Bronze"}, true},
		{"keeps an option added in Intercom", []string{"Platinum", "Gold"}, []string{"Silver"}, []string{"Platinum", "Gold", "Silver"}, true},
		{"a value already there is no change", []string{"Gold", "Silver"}, []string{"Silver"}, []string{"Gold", "Silver"}, false},
		{"an option differing only in case is there", []string{"gold"}, []string{"Gold"}, []string{"gold"}, false},
		{"adds each value once", []string{}, []string{"Gold", "Gold"}, []string{"Gold"}, true},
		{"an empty value is not an option", []string{"Gold"}, []string{""}, []string{"Gold"}, false},
		{"keeps Intercom's order, appends in picklist order", []string{"B", "A"}, []string{"D", "C"}, []string{"B", "A", "D", "C"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, changed := MergeOptions(tt.current, tt.add)
			if !reflect.DeepEqual(got, tt.want) || changed != tt.wantDiff {
				t.Errorf("MergeOptions(%v, %v) = %v, %v; want %v, %v", tt.current, tt.add, got, changed, tt.want, tt.wantDiff)
			}
		})
	}
}
