package intercom_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrysync/ferry/internal/intercom"
)

// FuzzParseEvent feeds arbitrary bodies to the webhook parser: it must never
// panic, and whatever it accepts must carry the typed object its kind
// promises and the body unchanged.
func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"topic":"contact.user.created","data":{"item":{"id":"1","created_at":"2026-01-10T04:22:28.240+00:00"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := intercom.ParseEvent(body)
		if err != nil {
			return
		}
		if string(ev.Raw) != string(body) {
			t.Fatal("Raw differs from the body")
		}
		if ev.Topic == "" {
			t.Fatal("accepted an event without topic")
		}
		if ev.ItemErr != nil {
			if ev.Contact != nil || ev.Company != nil || ev.Conversation != nil {
				t.Fatal("typed objects set alongside ItemErr")
			}
			return
		}
		switch ev.Kind {
		case intercom.KindContact:
			if ev.Contact == nil || ev.Contact.ID == "" {
				t.Fatal("contact event without contact id")
			}
		case intercom.KindCompany:
			if ev.Company == nil || ev.Company.ID == "" {
				t.Fatal("company event without company id")
			}
		case intercom.KindContactCompany:
			if ev.Contact == nil || ev.Company == nil {
				t.Fatal("attach event without both objects")
			}
		case intercom.KindConversation:
			if ev.Conversation == nil || ev.Conversation.ID == "" {
				t.Fatal("conversation event without conversation id")
			}
		}
		if !intercom.VerifySignature([]string{"k"}, body, intercom.Sign("k", body)) {
			t.Fatal("own signature does not verify")
		}
	})
}

// FuzzQueryValidate decodes arbitrary JSON as a search query and validates
// it: no panics, and any query that validates obeys Intercom's structural
// limits on its own and survives an encode/decode round trip unchanged.
func FuzzQueryValidate(f *testing.F) {
	f.Add([]byte(`{"field":"email","operator":"=","value":"a@b.com"}`))
	f.Add([]byte(`{"operator":"AND","value":[{"field":"created_at","operator":">","value":"1306054154"},{"operator":"OR","value":[{"field":"email","operator":"~","value":"@acme.com"},{"field":"custom_attributes.sf_id","operator":"=","value":"001x"}]}]}`))
	f.Add([]byte(`{"operator":"OR","value":[{"operator":"AND","value":[{"operator":"OR","value":[]}]}]}`))
	f.Add([]byte(`{"field":"owner_id","operator":"IN","value":[1,2,3]}`))
	f.Add([]byte(`{"field":"tag_id","operator":"!~","value":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var q intercom.Query
		if err := json.Unmarshal(data, &q); err != nil {
			return
		}
		if err := q.Validate(intercom.ContactFields()); err != nil {
			return
		}
		if d := depth(q); d > intercom.MaxQueryDepth {
			t.Fatalf("valid query nests %d levels", d)
		}
		if !groupsWithin(q, intercom.MaxGroupFilters) {
			t.Fatal("valid query has an oversized group")
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatalf("valid query does not encode: %v", err)
		}
		var back intercom.Query
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("encoded query does not decode: %v (%s)", err, b)
		}
		if err := back.Validate(intercom.ContactFields()); err != nil {
			t.Fatalf("round trip invalidated the query: %v (%s)", err, b)
		}
		b2, _ := json.Marshal(back)
		if string(b2) != string(b) {
			t.Fatalf("round trip changed the query:\n%s\n%s", b, b2)
		}
	})
}

func depth(q intercom.Query) int {
	if !q.IsGroup() {
		return 0
	}
	d := 0
	for _, m := range q.Group {
		d = max(d, depth(m))
	}
	return d + 1
}

func groupsWithin(q intercom.Query, n int) bool {
	if !q.IsGroup() {
		return true
	}
	if len(q.Group) > n || len(q.Group) == 0 {
		return false
	}
	for _, m := range q.Group {
		if !groupsWithin(m, n) {
			return false
		}
	}
	return true
}
