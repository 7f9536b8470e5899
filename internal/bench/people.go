package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/store"
)

// Person is one person present on both sides: an Intercom lead and a
// Salesforce Lead with the same email.
type Person struct {
	Email        string
	IntercomID   string
	SalesforceID string
}

// The field the scenarios change on each side (mapped both ways by
// BenchSettings).
const (
	icField = "custom_attributes.job_title"
	sfField = "Title"
)

// loadChunk bounds one bulk load, so the emulators' locks are released
// between chunks.
const loadChunk = 5000

// LoadPeople inserts n people on both sides with the emulators' bulk
// loaders (no webhooks, no API calls counted), with job title initial.
// tag keeps the emails of several loads apart. extra, if given, adds
// fields to the i-th Lead.
func (h *Harness) LoadPeople(n int, tag, initial string, extra ...func(i int, lead map[string]any)) ([]Person, error) {
	people := make([]Person, n)
	for start := 0; start < n; start += loadChunk {
		end := min(start+loadChunk, n)
		ic := make([]icemu.ContactSeed, 0, end-start)
		sf := make([]map[string]any, 0, end-start)
		for i := start; i < end; i++ {
			email := fmt.Sprintf("p%d.%s@bench.example.com", i, tag)
			people[i].Email = email
			ic = append(ic, icemu.ContactSeed{Role: "lead", Email: email, Name: fmt.Sprintf("Person %d", i),
				CustomAttributes: map[string]any{"job_title": initial}})
			lead := map[string]any{"Email": email, "FirstName": "Person", "LastName": fmt.Sprint(i),
				"Company": "Bench Inc", "Title": initial, "Status": "Open - Not Contacted"}
			for _, f := range extra {
				f(i, lead)
			}
			sf = append(sf, lead)
		}
		icIDs, err := h.IC.BulkLoadContacts(ic)
		if err != nil {
			return nil, fmt.Errorf("bench: load Intercom contacts: %w", err)
		}
		sfIDs, err := h.SF.LoadRecords("Lead", sf)
		if err != nil {
			return nil, fmt.Errorf("bench: load Salesforce Leads: %w", err)
		}
		for i := start; i < end; i++ {
			people[i].IntercomID = icIDs[i-start]
			people[i].SalesforceID = sfIDs[i-start]
		}
	}
	return people, nil
}

// Mapped counts ferry's person mappings.
func (h *Harness) Mapped(ctx context.Context) (int, error) {
	f := h.Ferries[0]
	return f.Store.CountMappings(ctx, f.ConnID, store.MappingPerson)
}

// WaitMapped waits until ferry holds at least n person mappings.
func (h *Harness) WaitMapped(ctx context.Context, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := h.Mapped(ctx)
		if err != nil {
			return err
		}
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d of %d people mapped after %s: %w", got, n, timeout, errTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ChangeIntercom sets a person's job title as the person would in the
// Messenger (a webhook goes to ferry).
func (h *Harness) ChangeIntercom(p Person, value string) error {
	return h.IC.MessengerUpdateContact(p.IntercomID, map[string]any{"custom_attributes": map[string]any{"job_title": value}})
}

// ChangeSalesforce sets a Lead's Title as a user would in Salesforce's UI
// (no API call counted; ferry finds it by polling).
func (h *Harness) ChangeSalesforce(p Person, value string) error {
	return h.SF.UpdateRecord("Lead", p.SalesforceID, map[string]any{sfField: value})
}

// tracker waits for expected values to be written on the other side and
// measures how long each took.
type tracker struct {
	mu      sync.Mutex
	pending map[trackKey]time.Time
	lat     []time.Duration
	first   time.Time
	last    time.Time
	done    chan struct{}
	sealed  bool
}

type trackKey struct{ record, field, value string }

func newTracker() *tracker {
	return &tracker{pending: map[trackKey]time.Time{}, done: make(chan struct{})}
}

// expect registers a change about to be made: value (a Go value, compared
// by its JSON) should appear in field of record.
func (t *tracker) expect(record, field string, value any) {
	b, _ := json.Marshal(value)
	now := time.Now()
	t.mu.Lock()
	if t.first.IsZero() {
		t.first = now
	}
	t.pending[trackKey{recordKey(record), field, string(b)}] = now
	t.mu.Unlock()
}

// forget drops an expectation whose change could not be made.
func (t *tracker) forget(record, field string, value any) {
	b, _ := json.Marshal(value)
	t.mu.Lock()
	delete(t.pending, trackKey{recordKey(record), field, string(b)})
	t.mu.Unlock()
}

// seal says every change was made: done closes when none is pending.
func (t *tracker) seal() {
	t.mu.Lock()
	t.sealed = true
	t.check()
	t.mu.Unlock()
}

// observe is a Recorder observer.
func (t *tracker) observe(w Write) {
	k := trackKey{w.Record, w.Field, w.Value}
	t.mu.Lock()
	if at, ok := t.pending[k]; ok {
		delete(t.pending, k)
		t.lat = append(t.lat, w.At.Sub(at))
		t.last = w.At
		t.check()
	}
	t.mu.Unlock()
}

func (t *tracker) check() {
	if t.sealed && len(t.pending) == 0 {
		select {
		case <-t.done:
		default:
			close(t.done)
		}
	}
}

// wait blocks until every change landed or timeout passes; it returns how
// many are still pending.
func (t *tracker) wait(ctx context.Context, timeout time.Duration) int {
	select {
	case <-t.done:
	case <-time.After(timeout):
	case <-ctx.Done():
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// lastLanding returns when the last change landed.
func (t *tracker) lastLanding() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// results returns the latencies seen and the span from the first change to
// the last landing.
func (t *tracker) results() ([]time.Duration, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	span := time.Duration(0)
	if !t.last.IsZero() {
		span = t.last.Sub(t.first)
	}
	return append([]time.Duration(nil), t.lat...), span
}

// MapPeople waits until ferry has mapped people. If the engine's initial
// sync is not matching them (nothing mapped and no initial sync progress
// after a few seconds), each person is changed once in Intercom, which
// makes the engine match them (F2.3: an update of an unmapped person tries
// to match).
func (h *Harness) MapPeople(ctx context.Context, people []Person, timeout time.Duration) error {
	f := h.Ferries[0]
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n, err := h.Mapped(ctx)
		if err != nil {
			return err
		}
		syncs, err := f.Store.ListInitialSyncs(ctx, f.ConnID)
		if err != nil {
			return err
		}
		if n > 0 || len(syncs) > 0 {
			return h.WaitMapped(ctx, len(people), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range people {
		if err := h.ChangeIntercom(p, "warm-up"); err != nil {
			return err
		}
	}
	return h.WaitMapped(ctx, len(people), timeout)
}

// Settle waits until ferry has gone quiet: no webhook event pending and no
// write reaching either emulator for quiet.
func (h *Harness) Settle(ctx context.Context, quiet, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := h.SFRec.Stats().Writes + h.ICRec.Stats().Writes
	since := time.Now()
	for {
		pending := 0
		for _, f := range h.Ferries {
			evs, err := f.Store.ListPendingWebhookEvents(ctx, f.ConnID, 1)
			if err != nil {
				return err
			}
			pending += len(evs)
		}
		w := h.SFRec.Stats().Writes + h.ICRec.Stats().Writes
		if w != last || pending > 0 {
			last, since = w, time.Now()
		}
		if time.Since(since) >= quiet {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: ferry still busy after %s (webhook events pending: %v, last write %s ago): %w",
				timeout, pending > 0, time.Since(since).Round(time.Millisecond), errTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// jsonString decodes a JSON string value ("" if it is not one).
func jsonString(v string) string {
	var s string
	_ = json.Unmarshal([]byte(v), &s)
	return s
}
