package sync

// EventKind is what happened to a record on one side.
type EventKind string

// The event kinds.
const (
	Created EventKind = "created"
	Updated EventKind = "updated"
	Deleted EventKind = "deleted"
	// Merged: an Intercom lead merged into a user (contact.merged), or a
	// Salesforce record merged into another; the event is about the record
	// that disappeared.
	Merged EventKind = "merged"
	// Converted: a Salesforce Lead converted into a Contact (IsConverted,
	// ConvertedContactId).
	Converted EventKind = "converted"
)

// Found is what matching the record's current key against the other side
// found, relative to the record's current mapping.
type Found int

// The match findings.
const (
	// FoundUnknown: matching has not run yet. Decide answers ActMatch when
	// it needs to know.
	FoundUnknown Found = iota
	// FoundNone: nothing matches the key.
	FoundNone
	// FoundMapped: the record already mapped matches (alone, or among
	// several).
	FoundMapped
	// FoundOther: exactly one record matches, and it is not the mapped one.
	FoundOther
	// FoundMany: several records tie (F2.2) and none is the mapped one.
	FoundMany
)

// Classify turns a match result into a [Found] relative to the currently
// mapped record's id (empty when there is no mapping).
func Classify(o Outcome, matchedID string, candidateIDs []string, mappedID string) Found {
	switch o {
	case Matched:
		if mappedID != "" && matchedID == mappedID {
			return FoundMapped
		}
		return FoundOther
	case Ambiguous:
		for _, id := range candidateIDs {
			if mappedID != "" && id == mappedID {
				return FoundMapped
			}
		}
		return FoundMany
	}
	return FoundNone
}

// Event is the input of [Decide]: one change to one record.
type Event struct {
	Kind EventKind
	// Side is where the change happened.
	Side Side
	// HasMapping: the record has an identity mapping.
	HasMapping bool
	// KeyChanged: the mapping key (email, external_id or the Salesforce key
	// field) is among the changed values.
	KeyChanged bool
	// Found is the result of matching the record's current key; leave it
	// FoundUnknown until Decide asks for it with ActMatch. For Converted and
	// Merged events it is about the surviving record (the new Contact, the
	// user merged into).
	Found Found
	// TargetMapped: for Converted and Merged, the surviving record already
	// has an identity mapping of its own.
	TargetMapped bool
}

// ActionKind is what the engine does about an event.
type ActionKind string

// The actions.
const (
	// ActNone: nothing to do (including the seed's "Not applicable").
	ActNone ActionKind = "none"
	// ActSyncChanged: send the changed mapped attributes to the other side.
	ActSyncChanged ActionKind = "sync_changed"
	// ActSyncMapped: send all mapped attributes to the other side; values
	// the other side already has are dropped by [Plan].
	ActSyncMapped ActionKind = "sync_mapped"
	// ActMatch: run matching for the record, then call Decide again with
	// Event.Found set.
	ActMatch ActionKind = "match"
	// ActCreateMapping: create the identity mapping to the match and sync all
	// mapped attributes both ways once (F3.4).
	ActCreateMapping ActionKind = "create_mapping"
	// ActRepoint: delete the mapping and map the record to the new match,
	// then sync all mapped attributes both ways once (F2.3, F3.4).
	ActRepoint ActionKind = "repoint_mapping"
	// ActReview: several records match; create no mapping, show "multiple
	// matches" with links to all candidates and list it for review (F2.2).
	ActReview ActionKind = "review"
	// ActUnmapReview: the new key matches several other records; delete the
	// mapping and list the record for review (F2.2: multiple matches mean no
	// mapping).
	ActUnmapReview ActionKind = "unmap_review"
	// ActDeleteMapping: delete the identity mapping only; never delete the
	// other side's record (F2.3).
	ActDeleteMapping ActionKind = "delete_mapping"
	// ActMoveMapping: move the mapping to the surviving record (the
	// converted Contact, the user merged into) and sync all mapped
	// attributes both ways once (F2.4, F3.4).
	ActMoveMapping ActionKind = "move_mapping"
)

// Action is Decide's answer: what to do and which rule said so (for the
// per-record history, F8.3).
type Action struct {
	Kind ActionKind
	Rule string
}

// InitialSync reports whether the action creates a mapping, after which all
// mapped attributes sync both ways once (F3.4).
func (a Action) InitialSync() bool {
	return a.Kind == ActCreateMapping || a.Kind == ActRepoint || a.Kind == ActMoveMapping
}

// Decide applies the trigger tables of seeds/001_* in both directions (F2.3)
// and the conversion and merge rules (F2.4) to one event.
//
// The seed's table cells that describe the "no mapping" column and the
// mapping-key rows are empty in the stored copy; DESIGN.md F2.3 fills them
// in, and those are the rules encoded here: updated with no mapping → try to
// match; key updated → re-match and re-point to a different match; created →
// try to match, never create on the other side; deleted → delete the mapping
// only.
func Decide(e Event) Action {
	from := "Intercom"
	if e.Side == Salesforce {
		from = "Salesforce"
	}
	switch e.Kind {
	case Created:
		if e.HasMapping {
			// seed 001: "Person created in … | Not applicable."
			return Action{ActNone, "person created in " + from + " with a mapping: not applicable"}
		}
		return matchOrMap(e, "person created in "+from+": try to match existing records, never create them")

	case Updated:
		if !e.HasMapping {
			return matchOrMap(e, "person updated in "+from+" without a mapping: try to match")
		}
		act := syncAction(e.Side, from)
		if !e.KeyChanged {
			return act
		}
		rule := "mapping key updated in " + from + ": re-match"
		switch e.Found {
		case FoundUnknown:
			return Action{ActMatch, rule}
		case FoundOther:
			return Action{ActRepoint, "mapping key updated in " + from + " now matches a different record: re-point the mapping"}
		case FoundMany:
			return Action{ActUnmapReview, "mapping key updated in " + from + " now matches several records: no mapping, review"}
		}
		// Still the same record, or nothing else matches (typically the other
		// side has not received the new key yet): the mapping stands and the
		// change, key included, syncs like any update.
		act.Rule = "mapping key updated in " + from + ", no other record matches: keep the mapping; " + act.Rule
		return act

	case Deleted:
		if e.HasMapping {
			return Action{ActDeleteMapping, "person deleted in " + from + ": delete the identity mapping only"}
		}
		return Action{ActNone, "person deleted in " + from + " without a mapping: not applicable"}

	case Converted:
		if e.Side != Salesforce {
			return Action{ActNone, "conversion happens in Salesforce only"}
		}
		if e.HasMapping {
			if e.TargetMapped {
				return Action{ActDeleteMapping, "Lead qualified into a Contact that is already mapped: the Lead's mapping ends, the Intercom lead follows the user"}
			}
			return Action{ActMoveMapping, "Lead qualified into a Contact: move the mapping to the Contact"}
		}
		if e.TargetMapped {
			return Action{ActNone, "Lead qualified into a Contact that is already mapped"}
		}
		return matchOrMap(e, "Lead qualified into a Contact without a mapping: try to match the Contact")

	case Merged:
		if e.HasMapping {
			if e.TargetMapped {
				return Action{ActDeleteMapping, "record merged into one that is already mapped: delete the merged record's mapping"}
			}
			return Action{ActMoveMapping, "record merged: move the mapping to the surviving record"}
		}
		if e.TargetMapped {
			return Action{ActNone, "record merged into one that is already mapped"}
		}
		return matchOrMap(e, "record merged without a mapping: try to match the surviving record")
	}
	return Action{ActNone, "unknown event " + string(e.Kind)}
}

// syncAction is the "identity mapping already exists" column of the update
// rows: Intercom sends "any updated attributes"; Salesforce, polled, sends
// "all mapped attributes" (seed 001).
func syncAction(side Side, from string) Action {
	if side == Salesforce {
		return Action{ActSyncMapped, "person updated in " + from + ": sync all mapped attributes to Intercom"}
	}
	return Action{ActSyncChanged, "person updated in " + from + ": sync the updated attributes to Salesforce"}
}

// matchOrMap is the "no existing identity mapping" column: match, then map
// the single match, or list several for review.
func matchOrMap(e Event, rule string) Action {
	switch e.Found {
	case FoundUnknown:
		return Action{ActMatch, rule}
	case FoundOther, FoundMapped:
		return Action{ActCreateMapping, rule + "; matched: create the mapping and sync all mapped attributes both ways once"}
	case FoundMany:
		return Action{ActReview, rule + "; multiple matches: no mapping, review"}
	}
	return Action{ActNone, rule + "; no match"}
}
