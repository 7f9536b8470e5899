package intercom_test

import (
	"testing"

	"github.com/ferrysync/ferry/emulator/intercom"
)

func TestConversations(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.must(200, "POST", "/contacts", map[string]any{"email": "joe@x.example", "name": "Joe"})
	cid := str(c["id"])
	admin := f.srv.OwnAdminID()

	msg := f.must(200, "POST", "/conversations", map[string]any{"from": map[string]any{"type": "user", "id": cid},
		"body": "<p>Help 🙏 <img src=\"https://x.example/a.png\"></p>"})
	convID := str(msg["conversation_id"])
	if msg["type"] != "user_message" || convID == "" || msg["message_type"] != "inapp" {
		t.Fatalf("create: %v", msg)
	}
	created := f.waitTopic("conversation.user.created")
	if item := created.Envelope["data"].(map[string]any)["item"].(map[string]any); item["id"] != convID {
		t.Errorf("webhook item: %v", item)
	}

	conv := f.must(200, "GET", "/conversations/"+convID, nil)
	src := conv["source"].(map[string]any)
	if conv["state"] != "open" || conv["open"] != true || src["author"].(map[string]any)["id"] != cid ||
		src["body"] != "<p>Help 🙏 <img src=\"https://x.example/a.png\"></p>" {
		t.Errorf("get: %v", conv)
	}

	steps := []struct {
		name, path string
		body       map[string]any
		partType   string
		state      string
		topic      string
	}{
		{"admin note", "/reply", map[string]any{"message_type": "note", "type": "admin", "admin_id": admin, "body": "<p>SF case 00001</p>"}, "note", "open", "conversation.admin.noted"},
		{"admin reply", "/reply", map[string]any{"message_type": "comment", "type": "admin", "admin_id": admin, "body": "<p>On it 👍</p>"}, "comment", "open", "conversation.admin.replied"},
		{"assign", "/parts", map[string]any{"message_type": "assignment", "type": "admin", "admin_id": admin, "assignee_id": admin}, "assignment", "open", "conversation.admin.assigned"},
		{"snooze", "/parts", map[string]any{"message_type": "snoozed", "type": "admin", "admin_id": admin, "snoozed_until": 4102444800}, "snoozed", "snoozed", "conversation.admin.snoozed"},
		{"close", "/parts", map[string]any{"message_type": "close", "type": "admin", "admin_id": admin, "body": "bye"}, "close", "closed", "conversation.admin.closed"},
		{"user reply reopens", "/reply", map[string]any{"message_type": "comment", "type": "user", "intercom_user_id": cid, "body": "one more thing"}, "comment", "open", "conversation.user.replied"},
		{"close again", "/parts", map[string]any{"message_type": "close", "type": "admin", "admin_id": admin}, "close", "closed", "conversation.admin.closed"},
		{"open", "/parts", map[string]any{"message_type": "open", "type": "admin", "admin_id": admin}, "open", "open", "conversation.admin.opened"},
	}
	for i, st := range steps {
		got := f.must(200, "POST", "/conversations/"+convID+st.path, st.body)
		parts := got["conversation_parts"].(map[string]any)["conversation_parts"].([]any)
		last := parts[len(parts)-1].(map[string]any)
		if len(parts) != i+1 || last["part_type"] != st.partType || got["state"] != st.state {
			t.Errorf("%s: %d parts, last %v, state %v", st.name, len(parts), last["part_type"], got["state"])
		}
		h := f.waitTopic(st.topic)
		whParts := h.Envelope["data"].(map[string]any)["item"].(map[string]any)["conversation_parts"].(map[string]any)["conversation_parts"].([]any)
		if len(whParts) != 1 || whParts[0].(map[string]any)["id"] != last["id"] {
			t.Errorf("%s: webhook carries %d parts, want only the new one", st.name, len(whParts))
		}
	}
	final := f.must(200, "GET", "/conversations/"+convID, nil)
	if final["admin_assignee_id"] != float64(991267500) {
		t.Errorf("assignee %v", final["admin_assignee_id"])
	}

	bad := []struct {
		name, path string
		body       map[string]any
		status     int
		code       string
	}{
		{"unknown admin", "/reply", map[string]any{"message_type": "note", "type": "admin", "admin_id": "1", "body": "x"}, 404, "admin_not_found"},
		{"bad message type", "/parts", map[string]any{"message_type": "explode", "type": "admin", "admin_id": admin}, 400, "parameter_invalid"},
		{"snooze into the past", "/parts", map[string]any{"message_type": "snoozed", "type": "admin", "admin_id": admin, "snoozed_until": 1}, 400, "parameter_invalid"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			code, m := f.call("POST", "/conversations/"+convID+b.path, b.body)
			if code != b.status || errorCode(t, m) != b.code {
				t.Errorf("%d %v", code, m)
			}
		})
	}
	if code, m := f.call("POST", "/conversations", map[string]any{"from": map[string]any{"type": "user", "id": "5f0000000000000000000000"}, "body": "x"}); code != 404 || errorCode(t, m) != "not_found" {
		t.Errorf("unknown contact: %d %v", code, m)
	}
}

func TestConversationListAndSearch(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *intercom.Options) { o.Seed = "demo" })
	list := f.must(200, "GET", "/conversations?per_page=4", nil)
	total := int(list["total_count"].(float64))
	if list["type"] != "conversation.list" || total < 5 || len(list["conversations"].([]any)) != 4 {
		t.Fatalf("list: %v", list)
	}
	next := list["pages"].(map[string]any)["next"].(map[string]any)
	rest := f.must(200, "GET", "/conversations?per_page=4&starting_after="+str(next["starting_after"]), nil)
	if got := len(rest["conversations"].([]any)); got != total-4 {
		t.Errorf("second page has %d, want %d", got, total-4)
	}
	open := f.must(200, "POST", "/conversations/search", map[string]any{"query": leaf("state", "=", "open")})
	closed := f.must(200, "POST", "/conversations/search", map[string]any{"query": leaf("open", "=", false)})
	if open["total_count"].(float64)+closed["total_count"].(float64) != float64(total) || closed["total_count"] == float64(0) {
		t.Errorf("open %v + closed %v != %d", open["total_count"], closed["total_count"], total)
	}
	for _, c := range closed["conversations"].([]any) {
		if c.(map[string]any)["state"] != "closed" {
			t.Errorf("search state: %v", c)
		}
	}
}
