package intercom_test

import (
	"net/http/httptest"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/intercom"
)

// TestWebhooks_EndToEnd drives the emulator through the client (and its
// control methods where a contact or the Messenger acts) and checks that
// every topic ferry handles arrives at the intake signed, verified and
// parsed.
func TestWebhooks_EndToEnd(t *testing.T) {
	t.Parallel()
	sink := intercom.NewChannelSink(512)
	intake := httptest.NewServer(intercom.NewWebhookHandler(intercom.WebhookConfig{Secret: testClientSecret, Sink: sink}))
	t.Cleanup(intake.Close)
	b := setup(t, icemu.Options{Seed: "demo", Webhooks: []string{intake.URL}, WebhookRetryDelay: 50 * time.Millisecond}, intercom.Config{})
	ctx := t.Context()
	c := b.client
	admin := b.emu.OwnAdminID()

	user, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("hook@x.test"), Name: intercom.Ptr("Hook")})
	mustNoErr(t, err, "create user")
	lead, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("lead"), Name: intercom.Ptr("Lead")})
	mustNoErr(t, err, "create lead")
	_, err = c.UpdateContact(ctx, user.ID, intercom.ContactInput{Email: intercom.Ptr("hook2@x.test")})
	mustNoErr(t, err, "update email")
	_, err = c.UpdateContact(ctx, lead.ID, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("signed@x.test")})
	mustNoErr(t, err, "lead signs up")
	_, err = c.ArchiveContact(ctx, user.ID)
	mustNoErr(t, err, "archive")
	_, err = c.UnarchiveContact(ctx, user.ID)
	mustNoErr(t, err, "unarchive")
	lead2, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("lead")})
	mustNoErr(t, err, "create lead 2")
	_, err = c.MergeContacts(ctx, lead2.ID, user.ID)
	mustNoErr(t, err, "merge")

	co, err := c.CreateOrUpdateCompany(ctx, intercom.CompanyInput{CompanyID: intercom.Ptr("hook-co"), Name: intercom.Ptr("Hook Co")})
	mustNoErr(t, err, "create company")
	_, err = c.UpdateCompany(ctx, co.ID, intercom.CompanyInput{Industry: intercom.Ptr("Shipping")})
	mustNoErr(t, err, "update company")
	_, err = c.AttachCompany(ctx, user.ID, co.ID)
	mustNoErr(t, err, "attach")
	_, err = c.DetachCompany(ctx, user.ID, co.ID)
	mustNoErr(t, err, "detach")

	msg, err := c.CreateConversation(ctx, intercom.ConversationInput{From: intercom.Ref{Type: "user", ID: user.ID}, Body: "help"})
	mustNoErr(t, err, "user starts conversation")
	conv := msg.ConversationID
	_, err = c.Reply(ctx, conv, intercom.ReplyInput{MessageType: "comment", Type: "user", IntercomUserID: user.ID, Body: "still there?"})
	mustNoErr(t, err, "user replies")
	_, err = c.Reply(ctx, conv, intercom.ReplyInput{MessageType: "comment", Type: "admin", AdminID: admin, Body: "yes"})
	mustNoErr(t, err, "admin replies")
	_, err = c.AddNote(ctx, conv, admin, "<p>SF case 00001234</p>")
	mustNoErr(t, err, "admin notes")
	_, err = c.ManageConversation(ctx, conv, intercom.ManageInput{MessageType: "assignment", AdminID: admin, AssigneeID: admin})
	mustNoErr(t, err, "assign")
	_, err = c.ManageConversation(ctx, conv, intercom.ManageInput{MessageType: "close", AdminID: admin})
	mustNoErr(t, err, "close")
	_, err = c.ManageConversation(ctx, conv, intercom.ManageInput{MessageType: "open", AdminID: admin})
	mustNoErr(t, err, "open")
	_, err = c.CreateAdminMessage(ctx, intercom.AdminMessageInput{AdminID: admin, Body: "hi", To: intercom.Ref{Type: "user", ID: user.ID}})
	mustNoErr(t, err, "admin starts conversation")

	_, err = c.DeleteCompany(ctx, co.ID)
	mustNoErr(t, err, "delete company")
	_, err = c.DeleteContact(ctx, user.ID)
	mustNoErr(t, err, "delete contact")
	b.emu.Ping()

	checks := map[string]func(t *testing.T, ev *intercom.Event){
		"contact.user.created": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.ID != user.ID && ev.Contact.ID != lead.ID {
				t.Errorf("contact.user.created for %s", ev.Contact.ID)
			}
		},
		"contact.lead.created": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.Role != "lead" {
				t.Errorf("lead created with role %q", ev.Contact.Role)
			}
		},
		"contact.user.updated": nil,
		"contact.email.updated": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.Email != "hook2@x.test" && ev.Contact.Email != "signed@x.test" {
				t.Errorf("email.updated carries %q", ev.Contact.Email)
			}
		},
		"contact.lead.signed_up": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.ID != lead.ID || ev.Contact.Role != "user" {
				t.Errorf("signed_up = %+v", ev.Contact)
			}
		},
		"contact.archived": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.ID != user.ID || !ev.Archived {
				t.Errorf("archived = %+v", ev)
			}
		},
		"contact.merged": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.ID != user.ID || ev.MergedFrom != lead2.ID {
				t.Errorf("merged: into %s from %q, want %s from %s", ev.Contact.ID, ev.MergedFrom, user.ID, lead2.ID)
			}
		},
		"contact.deleted": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.ID != user.ID || !ev.Deleted {
				t.Errorf("deleted = %+v", ev)
			}
		},
		"company.created": func(t *testing.T, ev *intercom.Event) {
			if ev.Company.ID != co.ID || ev.Company.CompanyID != "hook-co" {
				t.Errorf("company.created = %+v", ev.Company)
			}
		},
		"company.updated": nil,
		"company.deleted": func(t *testing.T, ev *intercom.Event) {
			if ev.Company.ID != co.ID || !ev.Deleted {
				t.Errorf("company.deleted = %+v", ev)
			}
		},
		"company.contact.attached": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.ID != user.ID || ev.Company.ID != co.ID {
				t.Errorf("attached = %+v %+v", ev.Contact, ev.Company)
			}
		},
		"company.contact.detached": func(t *testing.T, ev *intercom.Event) {
			if ev.Contact.ID != user.ID || ev.Company.ID != co.ID {
				t.Errorf("detached = %+v %+v", ev.Contact, ev.Company)
			}
		},
		"conversation.user.created": func(t *testing.T, ev *intercom.Event) {
			if ev.Conversation.ID != conv {
				t.Errorf("user.created for %s", ev.Conversation.ID)
			}
		},
		"conversation.admin.single.created": nil,
		"conversation.user.replied":         partCheck("comment", "user"),
		"conversation.admin.replied":        partCheck("comment", "admin"),
		"conversation.admin.noted":          partCheck("note", "admin"),
		"conversation.admin.assigned": func(t *testing.T, ev *intercom.Event) {
			if string(ev.Conversation.AdminAssigneeID) != admin {
				t.Errorf("assigned to %q", ev.Conversation.AdminAssigneeID)
			}
		},
		"conversation.admin.closed": func(t *testing.T, ev *intercom.Event) {
			if ev.Conversation.State != "closed" {
				t.Errorf("closed event with state %q", ev.Conversation.State)
			}
		},
		"conversation.admin.opened": nil,
		"ping": func(t *testing.T, ev *intercom.Event) {
			if ev.PingMessage == "" {
				t.Error("ping without message")
			}
		},
	}

	got := map[string]*intercom.Event{}
	deadline := time.After(10 * time.Second)
	for len(got) < len(checks) {
		select {
		case ev := <-sink.C:
			if ev.AppID != b.emu.AppID() {
				t.Errorf("%s: app_id %q, want %q", ev.Topic, ev.AppID, b.emu.AppID())
			}
			if ev.Topic != "ping" && ev.ID == "" {
				t.Errorf("%s without notification id", ev.Topic)
			}
			if _, want := checks[ev.Topic]; want && got[ev.Topic] == nil {
				got[ev.Topic] = ev
				if check := checks[ev.Topic]; check != nil {
					t.Run(ev.Topic, func(t *testing.T) { check(t, ev) })
				}
			}
		case <-deadline:
			for topic := range checks {
				if got[topic] == nil {
					t.Errorf("topic %s never arrived", topic)
				}
			}
			t.FailNow()
		}
	}
	if u := b.emu.Usage(); u.WebhooksFailed != 0 {
		t.Fatalf("%d deliveries failed", u.WebhooksFailed)
	}
}

func partCheck(partType, authorType string) func(t *testing.T, ev *intercom.Event) {
	return func(t *testing.T, ev *intercom.Event) {
		ps := ev.Conversation.ConversationParts
		if ps == nil || len(ps.Parts) != 1 {
			t.Fatalf("want exactly the triggering part, got %+v", ps)
		}
		if p := ps.Parts[0]; p.PartType != partType || p.Author == nil || p.Author.Type != authorType {
			t.Errorf("part %s by %+v, want %s by %s", p.PartType, p.Author, partType, authorType)
		}
	}
}

// TestWebhooks_WrongSecretRejected checks that deliveries signed with
// another app's secret never reach the sink.
func TestWebhooks_WrongSecretRejected(t *testing.T) {
	t.Parallel()
	sink := intercom.NewChannelSink(16)
	intake := httptest.NewServer(intercom.NewWebhookHandler(intercom.WebhookConfig{Secret: "not-the-app-secret", Sink: sink}))
	t.Cleanup(intake.Close)
	b := setup(t, icemu.Options{Webhooks: []string{intake.URL}, WebhookRetryDelay: 10 * time.Millisecond}, intercom.Config{})
	_, err := b.client.CreateContact(t.Context(), intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("x@x.test")})
	mustNoErr(t, err, "CreateContact")
	deadline := time.Now().Add(10 * time.Second)
	for b.emu.Usage().WebhooksFailed == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the emulator never saw the delivery fail")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case ev := <-sink.C:
		t.Fatalf("event %s with a bad signature reached the sink", ev.Topic)
	default:
	}
}
