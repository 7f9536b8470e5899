package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce"
)

func leads(n int, prefix string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = newLead(fmt.Sprintf("%s%04d", prefix, i))
	}
	return out
}

func TestCollections(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("CreateUpdateRetrieveDeleteInChunks", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		c := b.client
		recs := leads(450, "Many")
		before := b.calls.len()
		res, err := c.CreateMany(ctx, "Lead", recs, false)
		if err != nil {
			t.Fatal(err)
		}
		if calls := b.calls.len() - before; calls != 3 {
			t.Fatalf("%d calls for 450 records, want 3 (chunks of 200)", calls)
		}
		if _, ok := recs[0]["attributes"]; ok {
			t.Fatal("CreateMany modified the caller's map")
		}
		ids := make([]string, len(res))
		for i, r := range res {
			if !r.Success || r.ID == "" || r.Err() != nil {
				t.Fatalf("result %d = %+v", i, r)
			}
			ids[i] = r.ID
		}

		// Results are in input order: record i holds LastName Many<i>.
		got, err := c.RetrieveMany(ctx, "Lead", ids, []string{"Id", "LastName"})
		if err != nil {
			t.Fatal(err)
		}
		for i, rec := range got {
			if rec.ID() != ids[i] || rec.String("LastName") != recs[i]["LastName"] {
				t.Fatalf("record %d = %v, want %s %v", i, rec, ids[i], recs[i]["LastName"])
			}
		}

		updates := make([]map[string]any, len(ids))
		for i, id := range ids {
			updates[i] = map[string]any{"Id": id, "Title": fmt.Sprintf("T%d", i)}
		}
		res, err = c.UpdateMany(ctx, "Lead", updates, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if !r.Success || r.ID != ids[i] {
				t.Fatalf("update result %d = %+v", i, r)
			}
		}
		rec, err := c.Get(ctx, "Lead", ids[321], "Title")
		if err != nil || rec.String("Title") != "T321" {
			t.Fatalf("after UpdateMany: %v, %v", rec, err)
		}

		res, err = c.DeleteMany(ctx, ids[:250], false)
		if err != nil || len(res) != 250 {
			t.Fatalf("DeleteMany = %d results, %v", len(res), err)
		}
		for i, r := range res {
			if !r.Success || r.ID != ids[i] {
				t.Fatalf("delete result %d = %+v", i, r)
			}
		}
		// Deleting again fails for that record only.
		res, err = c.DeleteMany(ctx, []string{ids[300], ids[0], ids[301]}, false)
		if err != nil {
			t.Fatal(err)
		}
		var recErr *salesforce.RecordError
		if !res[0].Success || res[1].Success || !errors.As(res[1].Err(), &recErr) || recErr.StatusCode != salesforce.CodeEntityIsDeleted || !res[2].Success {
			t.Fatalf("delete results = %+v, want only the second to fail with ENTITY_IS_DELETED", res)
		}
		got, err = c.RetrieveMany(ctx, "Lead", []string{ids[0], ids[302]}, []string{"Id"})
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != nil || got[1].ID() != ids[302] {
			t.Fatalf("retrieve after delete = %v, want [nil, %s]", got, ids[302])
		}
	})

	t.Run("PerRecordErrorsInOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		recs := leads(5, "Mixed")
		delete(recs[2], "Company")
		res, err := b.client.CreateMany(ctx, "Lead", recs, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if (i == 2) == r.Success {
				t.Fatalf("result %d = %+v", i, r)
			}
		}
		var recErr *salesforce.RecordError
		if !errors.As(res[2].Err(), &recErr) || recErr.StatusCode != salesforce.CodeRequiredFieldMissing || !contains(recErr.Fields, "Company") {
			t.Fatalf("result 2 error = %v, want REQUIRED_FIELD_MISSING on Company", res[2].Err())
		}
		n, _ := b.client.Count(ctx, "SELECT COUNT() FROM Lead")
		if n != 4 {
			t.Fatalf("%d leads stored, want 4", n)
		}
	})

	t.Run("AllOrNoneRollsBack", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		recs := leads(5, "Atomic")
		delete(recs[4], "LastName")
		res, err := b.client.CreateMany(ctx, "Lead", recs, true)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Success || r.Err() == nil {
				t.Fatalf("result %d succeeded under allOrNone: %+v", i, r)
			}
		}
		if n, _ := b.client.Count(ctx, "SELECT COUNT() FROM Lead"); n != 0 {
			t.Fatalf("%d leads stored after rollback", n)
		}
	})

	t.Run("UpsertManyReportsCreated", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.emu.AddField(sfemu.FieldSpec{Object: "Contact", Name: "Intercom_Id__c", Type: "string", Length: 64, ExternalID: true, Unique: true}); err != nil {
			t.Fatal(err)
		}
		first := []map[string]any{{"Intercom_Id__c": "u1", "LastName": "One"}}
		if _, err := b.client.UpsertMany(ctx, "Contact", "Intercom_Id__c", first, false); err != nil {
			t.Fatal(err)
		}
		recs := []map[string]any{
			{"Intercom_Id__c": "u1", "LastName": "One Again"},
			{"Intercom_Id__c": "u2", "LastName": "Two"},
		}
		res, err := b.client.UpsertMany(ctx, "Contact", "Intercom_Id__c", recs, false)
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].Success || res[0].Created || !res[1].Success || !res[1].Created {
			t.Fatalf("results = %+v, want updated then created", res)
		}
		if _, err := b.client.UpsertMany(ctx, "Contact", "Intercom_Id__c", []map[string]any{{"LastName": "NoKey"}}, false); err == nil {
			t.Fatal("record without the external id accepted")
		}
	})

	t.Run("FailedChunkReturnsCompletedPrefix", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// One call left: the first chunk succeeds, the second is refused.
		b.emu.SetAPIRemaining(1)
		res, err := b.client.CreateMany(ctx, "Lead", leads(250, "Budget"), false)
		if !errors.Is(err, salesforce.ErrRequestLimitExceeded) {
			t.Fatalf("err = %v, want ErrRequestLimitExceeded", err)
		}
		if len(res) != salesforce.CollectionSize {
			t.Fatalf("%d results, want the first chunk's %d", len(res), salesforce.CollectionSize)
		}
		for i, r := range res {
			if !r.Success {
				t.Fatalf("result %d = %+v", i, r)
			}
		}
	})
}

func TestComposite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ReferencesEarlierResults", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		before := b.calls.len()
		res, err := b.client.Composite(ctx, true, []salesforce.Subrequest{
			{Method: "POST", URL: "sobjects/Account", ReferenceID: "refAccount", Body: map[string]any{"Name": "Acme"}},
			{Method: "POST", URL: "/services/data/v62.0/sobjects/Contact", ReferenceID: "refContact", Body: map[string]any{"LastName": "C", "AccountId": "@{refAccount.id}"}},
			{Method: "GET", URL: "sobjects/Contact/@{refContact.id}?fields=AccountId", ReferenceID: "getContact"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if b.calls.len()-before != 1 {
			t.Fatal("composite must be one API call")
		}
		if len(res) != 3 || res[0].HTTPStatusCode != 201 || res[1].HTTPStatusCode != 201 || res[2].HTTPStatusCode != 200 {
			t.Fatalf("responses = %+v", res)
		}
		for _, r := range res {
			if r.Err() != nil {
				t.Fatalf("%s: %v", r.ReferenceID, r.Err())
			}
		}
		var acct struct{ ID string }
		var contact struct{ AccountID string }
		if err := jsonUnmarshal(res[0].Body, &acct); err != nil {
			t.Fatal(err)
		}
		if err := jsonUnmarshal(res[2].Body, &contact); err != nil {
			t.Fatal(err)
		}
		if acct.ID == "" || contact.AccountID != acct.ID {
			t.Fatalf("contact.AccountId = %q, want %q", contact.AccountID, acct.ID)
		}
	})

	t.Run("AllOrNoneFailure", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res, err := b.client.Composite(ctx, true, []salesforce.Subrequest{
			{Method: "POST", URL: "sobjects/Lead", ReferenceID: "good", Body: newLead("Good")},
			{Method: "POST", URL: "sobjects/Lead", ReferenceID: "bad", Body: map[string]any{"LastName": "NoCompany"}},
		})
		if err != nil {
			t.Fatalf("composite itself must succeed: %v", err)
		}
		var apiErr *salesforce.APIError
		if !errors.As(res[1].Err(), &apiErr) || apiErr.Code != salesforce.CodeRequiredFieldMissing {
			t.Fatalf("bad subrequest error = %v", res[1].Err())
		}
		if res[0].Err() == nil {
			t.Fatal("the good subrequest must be rolled back and report an error")
		}
		if n, _ := b.client.Count(ctx, "SELECT COUNT() FROM Lead"); n != 0 {
			t.Fatalf("%d leads stored after rollback", n)
		}
	})
}
