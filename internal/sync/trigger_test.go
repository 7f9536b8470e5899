package sync

import "testing"

func TestDecide(t *testing.T) {
	t.Parallel()
	type row struct {
		name string
		e    Event
		want ActionKind
	}
	var rows []row
	// The seed's two tables (seeds/001_*) are the same rows seen from each
	// side, so each row runs for both directions; the Salesforce-only row
	// (Lead qualified into a contact) follows.
	for _, side := range []Side{Intercom, Salesforce} {
		dir := "Intercom→Salesforce: "
		syncKind := ActSyncChanged // "Sync any updated attributes to Salesforce."
		if side == Salesforce {
			dir = "Salesforce→Intercom: "
			syncKind = ActSyncMapped // "Sync all mapped attributes to Intercom."
		}
		rows = append(rows,
			row{dir + "Person updated | mapping exists", Event{Kind: Updated, Side: side, HasMapping: true}, syncKind},
			row{dir + "Person updated | no mapping: try to match", Event{Kind: Updated, Side: side}, ActMatch},
			row{dir + "Person updated | no mapping, one match: create mapping", Event{Kind: Updated, Side: side, Found: FoundOther}, ActCreateMapping},
			row{dir + "Person updated | no mapping, no match", Event{Kind: Updated, Side: side, Found: FoundNone}, ActNone},
			row{dir + "Person updated | no mapping, multiple matches: review", Event{Kind: Updated, Side: side, Found: FoundMany}, ActReview},

			row{dir + "Mapping key updated | mapping exists: re-match", Event{Kind: Updated, Side: side, HasMapping: true, KeyChanged: true}, ActMatch},
			row{dir + "Mapping key updated | mapping exists, matches a different record: re-point", Event{Kind: Updated, Side: side, HasMapping: true, KeyChanged: true, Found: FoundOther}, ActRepoint},
			row{dir + "Mapping key updated | mapping exists, still the mapped record", Event{Kind: Updated, Side: side, HasMapping: true, KeyChanged: true, Found: FoundMapped}, syncKind},
			row{dir + "Mapping key updated | mapping exists, nothing matches the new key: keep and sync it", Event{Kind: Updated, Side: side, HasMapping: true, KeyChanged: true, Found: FoundNone}, syncKind},
			row{dir + "Mapping key updated | mapping exists, several other records: unmap and review", Event{Kind: Updated, Side: side, HasMapping: true, KeyChanged: true, Found: FoundMany}, ActUnmapReview},
			row{dir + "Mapping key updated | no mapping: try to match", Event{Kind: Updated, Side: side, KeyChanged: true}, ActMatch},
			row{dir + "Mapping key updated | no mapping, one match: create mapping", Event{Kind: Updated, Side: side, KeyChanged: true, Found: FoundOther}, ActCreateMapping},

			row{dir + "Person created | mapping exists: not applicable", Event{Kind: Created, Side: side, HasMapping: true}, ActNone},
			row{dir + "Person created | no mapping: try to match", Event{Kind: Created, Side: side}, ActMatch},
			row{dir + "Person created | no mapping, one match: create mapping (never create records)", Event{Kind: Created, Side: side, Found: FoundOther}, ActCreateMapping},
			row{dir + "Person created | no mapping, no match: nothing is created", Event{Kind: Created, Side: side, Found: FoundNone}, ActNone},
			row{dir + "Person created | no mapping, multiple matches: review", Event{Kind: Created, Side: side, Found: FoundMany}, ActReview},

			row{dir + "Person deleted | mapping exists: delete identity mapping", Event{Kind: Deleted, Side: side, HasMapping: true}, ActDeleteMapping},
			row{dir + "Person deleted | no mapping: not applicable", Event{Kind: Deleted, Side: side}, ActNone},

			row{dir + "F2.4 merged | mapping exists: move it to the survivor", Event{Kind: Merged, Side: side, HasMapping: true}, ActMoveMapping},
			row{dir + "F2.4 merged | mapping exists, survivor already mapped", Event{Kind: Merged, Side: side, HasMapping: true, TargetMapped: true}, ActDeleteMapping},
			row{dir + "F2.4 merged | no mapping: match the survivor", Event{Kind: Merged, Side: side}, ActMatch},
			row{dir + "F2.4 merged | no mapping, survivor already mapped", Event{Kind: Merged, Side: side, TargetMapped: true}, ActNone},
		)
	}
	rows = append(rows,
		row{"Salesforce→Intercom: Lead qualified into a contact | mapping exists: move to the Contact", Event{Kind: Converted, Side: Salesforce, HasMapping: true}, ActMoveMapping},
		row{"Salesforce→Intercom: Lead qualified into a contact | mapping exists, Contact already mapped", Event{Kind: Converted, Side: Salesforce, HasMapping: true, TargetMapped: true}, ActDeleteMapping},
		row{"Salesforce→Intercom: Lead qualified into a contact | new identity mapping: match the Contact", Event{Kind: Converted, Side: Salesforce}, ActMatch},
		row{"Salesforce→Intercom: Lead qualified into a contact | new identity mapping created", Event{Kind: Converted, Side: Salesforce, Found: FoundOther}, ActCreateMapping},
		row{"Intercom: conversion is not an Intercom event", Event{Kind: Converted, Side: Intercom, HasMapping: true}, ActNone},
		row{"unknown event", Event{Kind: "archived", Side: Intercom, HasMapping: true}, ActNone},
	)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			got := Decide(r.e)
			if got.Kind != r.want {
				t.Fatalf("Decide(%+v) = %s (%s), want %s", r.e, got.Kind, got.Rule, r.want)
			}
			if got.Rule == "" {
				t.Errorf("Decide(%+v) gave no rule", r.e)
			}
			want := r.want == ActCreateMapping || r.want == ActRepoint || r.want == ActMoveMapping
			if got.InitialSync() != want {
				t.Errorf("InitialSync() = %v, want %v (F3.4)", got.InitialSync(), want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		o          Outcome
		matched    string
		candidates []string
		mapped     string
		want       Found
	}{
		{"no match", NoMatch, "", nil, "A", FoundNone},
		{"same record", Matched, "A", nil, "A", FoundMapped},
		{"other record", Matched, "B", nil, "A", FoundOther},
		{"first match without mapping", Matched, "B", nil, "", FoundOther},
		{"mapped among several", Ambiguous, "", []string{"B", "A"}, "A", FoundMapped},
		{"several others", Ambiguous, "", []string{"B", "C"}, "A", FoundMany},
		{"several without mapping", Ambiguous, "", []string{"B", "C"}, "", FoundMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Classify(tt.o, tt.matched, tt.candidates, tt.mapped); got != tt.want {
				t.Errorf("Classify = %v, want %v", got, tt.want)
			}
		})
	}
}
