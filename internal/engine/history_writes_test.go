package engine_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// TestWriteBeforeIntercomRecordGoneIsInHistory (issue 8 item 12, F8.3): a
// batch writes a change to Salesforce, then finds the Intercom record
// deleted when it writes back (its delete's webhook not in yet). The mapping
// ends, and the Salesforce write that already happened is in the history
// with what was written. Before, only the mapping's end was recorded.
func TestWriteBeforeIntercomRecordGoneIsInHistory(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	// The delete's webhook waits at the gate until the test opens it.
	b := setup(t, setupOpts{hookFront: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte(`"contact.deleted"`)) {
				<-release
			}
			next.ServeHTTP(w, r)
		})
	}})
	lead := b.newRecord("Lead", map[string]any{"Email": "vanish@example.com", "Phone": "1"})
	id := b.newContact(map[string]any{"email": "vanish@example.com"})
	b.drain()
	if _, ok := b.mapping(id); !ok {
		t.Fatal("no mapping")
	}
	// Intercom's phone changes, then Salesforce's Title (not polled yet):
	// the phone's write on condition is refused, as the Lead changed after
	// it; the Lead is read and the batch writes the phone to Salesforce
	// and the Title to Intercom.
	b.updateContact(id, map[string]any{"phone": "+1 555 0199"})
	b.updateRecord("Lead", lead, map[string]any{"Title": "CFO"})
	if _, err := b.icClient().DeleteContact(b.ctx, id); err != nil {
		t.Fatal(err)
	}
	b.drain()
	mark := b.lastEventID()
	close(release)

	if got := b.sfField("Lead", lead, "Phone"); got != "+1 555 0199" {
		t.Fatalf("Lead.Phone = %v; the Salesforce write should have happened before the delete was found", got)
	}
	if _, ok := b.mapping(id); ok {
		t.Error("the mapping survived the Intercom record's delete")
	}
	h, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var written, ended bool
	for _, e := range h {
		written = written || (e.Outcome == "ok" && strings.Contains(e.Changes, `"Phone":"+1 555 0199"`))
		ended = ended || e.Outcome == "mapping_deleted"
	}
	if !written || !ended {
		t.Errorf("history has the Salesforce write: %v, the mapping's end: %v; want both. History: %+v", written, ended, h)
	}
	// The delete's webhook, let in now, finds nothing left to do.
	b.waitEvent(mark, id, "deleted")
	b.drain()
	if errs := b.openErrors(); len(errs) != 0 {
		t.Errorf("sync errors %+v; a deleted record ends the mapping, it is not an error", errs)
	}
}

// TestDataEventsSentAreInHistory (issue 8 item 12, F3.6, F8.3): the
// SALESFORCE_CHANGE_* data events ferry sends to Intercom are writes too,
// and the history lists them with the attributes written.
func TestDataEventsSentAreInHistory(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	lead := b.newRecord("Lead", map[string]any{"Email": "status@example.com"})
	id := b.newContact(map[string]any{"email": "status@example.com"})
	b.drain()
	if _, ok := b.mapping(id); !ok {
		t.Fatal("no mapping")
	}
	b.updateRecord("Lead", lead, map[string]any{"Status": "Working - Contacted"})
	b.poll()
	h, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{})
	if err != nil || len(h) == 0 {
		t.Fatalf("history: %v, %v", h, err)
	}
	if e := h[0]; !strings.Contains(e.Changes, `"intercom_events":["SALESFORCE_CHANGE_STATUS"]`) ||
		!strings.Contains(e.Changes, `"custom_attributes.SALESFORCE_STATUS":"Working - Contacted"`) {
		t.Errorf("latest history entry %+v; want the status attribute and the SALESFORCE_CHANGE_STATUS event it sent", e)
	}
}

// TestFailedDataEventIsInHistory (issue 8 item 12, F8.3): a data event
// Intercom refuses is named in the record's history with Intercom's answer,
// not only in a log line; the attributes it announces were written.
func TestFailedDataEventIsInHistory(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{icFront: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/events" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = io.WriteString(w, `{"type":"error.list","request_id":"x","errors":[{"code":"parameter_invalid","message":"Event name is not allowed"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	lead := b.newRecord("Lead", map[string]any{"Email": "noevent@example.com"})
	id := b.newContact(map[string]any{"email": "noevent@example.com"})
	b.drain()
	b.updateRecord("Lead", lead, map[string]any{"Status": "Working - Contacted"})
	b.poll()
	h, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{})
	if err != nil || len(h) == 0 {
		t.Fatalf("history: %v, %v", h, err)
	}
	e := h[0]
	if !strings.Contains(e.Message, "data event SALESFORCE_CHANGE_STATUS not recorded in Intercom") ||
		!strings.Contains(e.Message, "Event name is not allowed") ||
		!strings.Contains(e.Changes, `"custom_attributes.SALESFORCE_STATUS":"Working - Contacted"`) {
		t.Errorf("latest history entry %+v; want the attribute written and the refused event with Intercom's answer", e)
	}
}
