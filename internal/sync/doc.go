// Package sync holds ferry's sync rules: type compatibility and value
// conversion between Intercom attributes and Salesforce fields (F3.1, F3.2),
// identity matching (F2.1, F2.2, F2.5), the trigger tables (F2.3, F2.4),
// field-level conflict resolution and echo suppression (F3.5), the
// SALESFORCE_* attributes shown in Intercom (F3.6) and the country and UTM
// defaults (F3.7).
//
// The package is pure: no I/O, no store, no clients, no clock. Callers adapt
// the Salesforce describe and Intercom data attributes to [SFField] and
// [ICAttribute], pass the stored state in and persist what comes out, so every
// rule is a table test.
//
// Typical use by the sync engine for one record:
//
//	act := sync.Decide(sync.Event{Kind: sync.Updated, Side: sync.Intercom, HasMapping: true})
//	// act.Kind == sync.ActSyncChanged
//	plan := sync.Plan(mappings, state, []sync.RecordChange{{Side: sync.Intercom, At: updatedAt, Values: v}})
//	// write plan.ToSalesforce (and plan.ToIntercom), then store
//	// plan.Commit(okIntercom, okSalesforce).
//
// Field state ([FieldState]) has the shape of the store's field-state rows:
// one per side, record and field, with the last known value, its origin
// (intercom, salesforce or ferry), when it changed and the hash of the value
// ferry last wrote there.
package sync
