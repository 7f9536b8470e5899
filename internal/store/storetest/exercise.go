package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ferrysync/ferry/internal/store"
)

// Exercise runs the conformance suite against the store newStore returns.
// Subtests run in parallel on one store, each on connections of its own.
// newStore must return a migrated store with a secret box.
func Exercise(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	s := newStore(t)

	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Connections", exerciseConnections},
		{"DeleteConnectionPurges", exerciseDeletePurges},
		{"Credentials", exerciseCredentials},
		{"SwapCredential", exerciseSwapCredential},
		{"Settings", exerciseSettings},
		{"Mappings", exerciseMappings},
		{"Counts", exerciseCounts},
		{"FieldStates", exerciseFieldStates},
		{"Watermarks", exerciseWatermarks},
		{"SetupChecks", exerciseSetupChecks},
		{"SyncErrors", exerciseSyncErrors},
		{"History", exerciseHistory},
		{"Usage", exerciseUsage},
		{"WebhookEvents", exerciseWebhookEvents},
		{"MatchReviews", exerciseMatchReviews},
		{"OAuthStates", exerciseOAuthStates},
		{"AdminSessions", exerciseAdminSessions},
		{"ConversationTasks", exerciseConversationTasks},
		{"Reachability", exerciseReachability},
		{"PendingSummary", exercisePendingSummary},
		{"TxRollback", exerciseTxRollback},
		{"Jobs", exerciseJobs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

// inTx runs fn in a transaction and fails the test on error.
func inTx(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.InTx(context.Background(), fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

// newConnection creates a connection for one subtest.
func newConnection(t *testing.T, s store.Store) store.Connection {
	t.Helper()
	var c store.Connection
	inTx(t, s, func(tx store.Tx) error {
		var err error
		c, err = tx.CreateConnection(context.Background(), store.Connection{Name: t.Name()})
		return err
	})
	return c
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func exerciseConnections(t *testing.T, s store.Store) {
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	c := newConnection(t, s)
	if c.ID == 0 || c.State != store.StatePending || c.CreatedAt.Before(before) {
		t.Fatalf("created %+v", c)
	}
	got, err := s.GetConnection(ctx, c.ID)
	noErr(t, err)
	if got != c {
		t.Fatalf("GetConnection = %+v, want %+v", got, c)
	}

	inTx(t, s, func(tx store.Tx) error {
		if err := tx.UpdateConnectionIdentity(ctx, c.ID, "ws1", "00Dxx", "https://x.my.salesforce.com"); err != nil {
			return err
		}
		return tx.UpdateConnectionState(ctx, c.ID, store.StateDisconnected, store.CauseApprovalsExceeded)
	})
	got, err = s.GetConnection(ctx, c.ID)
	noErr(t, err)
	if got.State != store.StateDisconnected || got.Cause != store.CauseApprovalsExceeded ||
		got.IntercomWorkspaceID != "ws1" || got.SalesforceOrgID != "00Dxx" || got.SalesforceInstanceURL != "https://x.my.salesforce.com" {
		t.Fatalf("after update: %+v", got)
	}
	changed := got.StateChangedAt

	// The same state again keeps the time it started.
	inTx(t, s, func(tx store.Tx) error {
		return tx.UpdateConnectionState(ctx, c.ID, store.StateDisconnected, store.CauseApprovalsExceeded)
	})
	got, _ = s.GetConnection(ctx, c.ID)
	if !got.StateChangedAt.Equal(changed) {
		t.Fatalf("StateChangedAt moved from %v to %v without a change", changed, got.StateChangedAt)
	}
	// Connected clears the cause.
	inTx(t, s, func(tx store.Tx) error { return tx.UpdateConnectionState(ctx, c.ID, store.StateConnected, "ignored") })
	got, _ = s.GetConnection(ctx, c.ID)
	if got.State != store.StateConnected || got.Cause != "" {
		t.Fatalf("after reconnect: %+v", got)
	}

	list, err := s.ListConnections(ctx)
	noErr(t, err)
	if !slices.ContainsFunc(list, func(x store.Connection) bool { return x.ID == c.ID }) {
		t.Fatalf("ListConnections misses %d", c.ID)
	}

	err = s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateConnectionState(ctx, c.ID, "sleeping", "") })
	wantErr(t, err, store.ErrInvalid)
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.UpdateConnectionState(ctx, -1, store.StateConnected, "") })
	wantErr(t, err, store.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.CreateConnection(ctx, store.Connection{}); return err })
	wantErr(t, err, store.ErrInvalid)
	_, err = s.GetConnection(ctx, -1)
	wantErr(t, err, store.ErrNotFound)
}

func exerciseDeletePurges(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	keep := newConnection(t, s)
	for _, conn := range []store.Connection{c, keep} {
		inTx(t, s, func(tx store.Tx) error {
			cred, _ := store.IntercomCredential(conn.ID, store.IntercomToken{AccessToken: "tok"})
			return errors.Join(
				tx.PutCredential(ctx, cred),
				func() error { _, err := tx.PutSettings(ctx, conn.ID, []byte(`{}`), 0); return err }(),
				func() error {
					_, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: conn.ID, Kind: store.MappingPerson,
						IntercomID: "ic1", SFObject: store.ObjectLead, SFID: "00Q1"})
					return err
				}(),
				tx.PutFieldStates(ctx, []store.FieldState{{ConnectionID: conn.ID, Side: store.SideIntercom, RecordID: "ic1", Field: "email", Value: `"a@b"`, Origin: store.OriginIntercom}}),
				tx.PutWatermark(ctx, store.Watermark{ConnectionID: conn.ID, Object: "Lead", SystemModstamp: time.Now()}),
				func() error {
					_, err := tx.UpsertSyncError(ctx, store.SyncError{ConnectionID: conn.ID, RecordID: "ic1", Operation: "create_lead"})
					return err
				}(),
				func() error {
					_, err := tx.AppendHistory(ctx, store.HistoryEntry{ConnectionID: conn.ID, IntercomID: "ic1"})
					return err
				}(),
				func() error { _, err := tx.IncrementUsage(ctx, conn.ID, time.Now(), store.PurposeSync, 1); return err }(),
				func() error {
					_, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: conn.ID, NotificationID: "n1"})
					return err
				}(),
				func() error {
					_, err := tx.AddMatchReview(ctx, store.MatchReview{ConnectionID: conn.ID, IntercomID: "ic1"})
					return err
				}(),
				tx.CreateOAuthState(ctx, store.OAuthState{State: fmt.Sprintf("state-%d-abcdefghijklmnop", conn.ID), ConnectionID: conn.ID,
					Provider: "salesforce", ExpiresAt: time.Now().Add(time.Hour)}),
			)
		})
	}
	for _, conn := range []store.Connection{c, keep} {
		if _, err := s.Enqueue(ctx, purgeArgs{ConnectionID: conn.ID}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.CountConnectionRows(ctx, c.ID)
	noErr(t, err)
	if len(before) < 12 || before["connections"] != 1 || before["river_job"] != 1 || before["mappings"] != 1 {
		t.Fatalf("rows of the connection before purge = %v, want a row in each table written", before)
	}
	t.Logf("rows of the connection before purge: %d tables %v", len(before), before)
	// Counted in the purging transaction: once it commits, SQLite may give
	// the freed id to a connection a parallel subtest creates.
	var left map[string]int64
	inTx(t, s, func(tx store.Tx) error {
		if err := tx.DeleteConnection(ctx, c.ID); err != nil {
			return err
		}
		var err error
		left, err = tx.CountConnectionRows(ctx, c.ID)
		return err
	})
	if len(left) != 0 {
		t.Fatalf("rows of the connection left after purge = %v, want none in any table", left)
	}
	if kept, _ := s.CountConnectionRows(ctx, keep.ID); len(kept) != len(before) {
		t.Fatalf("the other connection's rows after purge = %v, want %d tables as before", kept, len(before))
	}
	jobs, err := s.CountJobs(ctx, purgeArgs{}.Kind())
	noErr(t, err)
	if jobs[rivertype.JobStateScheduled] != 1 {
		t.Fatalf("jobs after purge = %v, want the other connection's one", jobs)
	}

	_, err = s.GetConnection(ctx, c.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetCredential(ctx, c.ID, store.CredentialIntercom)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetSettings(ctx, c.ID)
	wantErr(t, err, store.ErrNotFound)
	n, err := s.CountMappings(ctx, c.ID, "")
	noErr(t, err)
	if n != 0 {
		t.Fatalf("%d mappings left after purge", n)
	}
	fs, err := s.GetFieldStates(ctx, c.ID, store.SideIntercom, []string{"ic1"})
	noErr(t, err)
	if len(fs) != 0 {
		t.Fatalf("field states left after purge: %v", fs)
	}
	_, err = s.GetWatermark(ctx, c.ID, "Lead")
	wantErr(t, err, store.ErrNotFound)
	_, total, err := s.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: c.ID, IncludeResolved: true})
	noErr(t, err)
	h, err := s.ListHistory(ctx, c.ID, "ic1", store.Page{})
	noErr(t, err)
	u, err := s.ListUsage(ctx, c.ID, time.Now().AddDate(0, 0, -1), time.Now().AddDate(0, 0, 1))
	noErr(t, err)
	r, err := s.ListMatchReviews(ctx, c.ID, true)
	noErr(t, err)
	if total != 0 || len(h) != 0 || len(u) != 0 || len(r) != 0 {
		t.Fatalf("left after purge: %d errors, %d history, %d usage, %d reviews", total, len(h), len(u), len(r))
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.ConsumeOAuthState(ctx, fmt.Sprintf("state-%d-abcdefghijklmnop", c.ID))
		return err
	})
	wantErr(t, err, store.ErrNotFound)

	// The other connection keeps everything.
	if _, err := s.GetCredential(ctx, keep.ID, store.CredentialIntercom); err != nil {
		t.Fatalf("other connection's credential: %v", err)
	}
	if n, _ := s.CountMappings(ctx, keep.ID, ""); n != 1 {
		t.Fatalf("other connection has %d mappings, want 1", n)
	}
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteConnection(ctx, c.ID) })
	wantErr(t, err, store.ErrNotFound)
}

func exerciseCredentials(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	tok := store.SalesforceToken{RefreshToken: "5Aep861refresh", AccessToken: "00Dxx!access", InstanceURL: "https://x.my.salesforce.com",
		IdentityURL: "https://login.salesforce.com/id/00Dxx/005xx", IssuedAt: time.Unix(1700000000, 0).UTC()}
	cred, err := store.SalesforceCredential(c.ID, tok)
	noErr(t, err)
	inTx(t, s, func(tx store.Tx) error { return tx.PutCredential(ctx, cred) })

	got, err := s.GetCredential(ctx, c.ID, store.CredentialSalesforce)
	noErr(t, err)
	gotTok, err := got.SalesforceToken()
	noErr(t, err)
	if gotTok != tok {
		t.Fatalf("token = %+v, want %+v", gotTok, tok)
	}
	if _, err := got.IntercomToken(); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("IntercomToken of a salesforce credential: %v", err)
	}
	if s := fmt.Sprint(got, gotTok); slices.ContainsFunc([]string{"5Aep861refresh", "00Dxx!access"}, func(secret string) bool {
		return strings.Contains(s, secret)
	}) {
		t.Fatalf("formatted credential leaks a token: %s", s)
	}

	// Replace.
	tok.AccessToken = "00Dxx!new"
	cred, _ = store.SalesforceCredential(c.ID, tok)
	inTx(t, s, func(tx store.Tx) error { return tx.PutCredential(ctx, cred) })
	got, _ = s.GetCredential(ctx, c.ID, store.CredentialSalesforce)
	if gotTok, _ := got.SalesforceToken(); gotTok.AccessToken != "00Dxx!new" {
		t.Fatalf("after replace: %+v", gotTok)
	}

	ic, _ := store.IntercomCredential(c.ID, store.IntercomToken{AccessToken: "dG9rOmFiYw=="})
	inTx(t, s, func(tx store.Tx) error { return tx.PutCredential(ctx, ic) })
	got, err = s.GetCredential(ctx, c.ID, store.CredentialIntercom)
	noErr(t, err)
	if it, _ := got.IntercomToken(); it.AccessToken != "dG9rOmFiYw==" {
		t.Fatalf("intercom token = %+v", it)
	}

	inTx(t, s, func(tx store.Tx) error { return tx.DeleteCredential(ctx, c.ID, store.CredentialIntercom) })
	_, err = s.GetCredential(ctx, c.ID, store.CredentialIntercom)
	wantErr(t, err, store.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteCredential(ctx, c.ID, store.CredentialIntercom) })
	wantErr(t, err, store.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.PutCredential(ctx, store.Credential{ConnectionID: c.ID, Kind: "slack", Data: []byte("x")})
	})
	wantErr(t, err, store.ErrInvalid)
}

// exerciseSwapCredential has several goroutines refresh the same token with
// read, then compare-and-swap, retrying when they lose: each reads a counter
// from the token and writes it back plus one. A swap that ignored the
// version would lose updates; one that never succeeded would hang.
func exerciseSwapCredential(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	cred, _ := store.SalesforceCredential(c.ID, store.SalesforceToken{RefreshToken: "r", AccessToken: "0"})
	inTx(t, s, func(tx store.Tx) error { return tx.PutCredential(ctx, cred) })

	const workers, rounds = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for range workers {
		wg.Go(func() {
			for range rounds {
				for {
					cur, err := s.GetCredential(ctx, c.ID, store.CredentialSalesforce)
					if err != nil {
						errs <- err
						return
					}
					tok, _ := cur.SalesforceToken()
					var n int
					fmt.Sscan(tok.AccessToken, &n)
					tok.AccessToken = fmt.Sprint(n + 1)
					next, _ := store.SalesforceCredential(c.ID, tok)
					next.Version = cur.Version
					var swapped bool
					if err := s.InTx(ctx, func(tx store.Tx) error {
						swapped, err = tx.SwapCredential(ctx, next)
						return err
					}); err != nil {
						errs <- err
						return
					}
					if swapped {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, err)
	}
	got, _ := s.GetCredential(ctx, c.ID, store.CredentialSalesforce)
	tok, _ := got.SalesforceToken()
	if tok.AccessToken != fmt.Sprint(workers*rounds) {
		t.Fatalf("counter = %s, want %d (a swap lost an update)", tok.AccessToken, workers*rounds)
	}
	// A stale version never overwrites; PutCredential moves the version.
	stale := got
	stale.Version--
	var swapped bool
	inTx(t, s, func(tx store.Tx) (err error) { swapped, err = tx.SwapCredential(ctx, stale); return err })
	if swapped {
		t.Fatal("a swap with a stale version replaced the credential")
	}
	inTx(t, s, func(tx store.Tx) error { return tx.PutCredential(ctx, got) })
	if again, _ := s.GetCredential(ctx, c.ID, store.CredentialSalesforce); again.Version <= got.Version {
		t.Fatalf("version after PutCredential = %d, want more than %d", again.Version, got.Version)
	}
	missing := store.Credential{ConnectionID: c.ID, Kind: store.CredentialIntercom, Data: []byte("{}")}
	inTx(t, s, func(tx store.Tx) (err error) { swapped, err = tx.SwapCredential(ctx, missing); return err })
	if swapped {
		t.Fatal("a swap created a credential that did not exist")
	}
}

func exerciseSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	_, err := s.GetSettings(ctx, c.ID)
	wantErr(t, err, store.ErrNotFound)

	var v1 store.Settings
	inTx(t, s, func(tx store.Tx) error {
		var err error
		v1, err = tx.PutSettings(ctx, c.ID, []byte(`{"budget":20000}`), 0)
		return err
	})
	if v1.Version != 1 {
		t.Fatalf("first version = %d", v1.Version)
	}
	err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.PutSettings(ctx, c.ID, []byte(`{}`), 0); return err })
	wantErr(t, err, store.ErrVersionConflict)

	inTx(t, s, func(tx store.Tx) error { _, err := tx.PutSettings(ctx, c.ID, []byte(`{"budget":100}`), 1); return err })
	err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.PutSettings(ctx, c.ID, []byte(`{"budget":5}`), 1); return err })
	wantErr(t, err, store.ErrVersionConflict)
	err = s.InTx(ctx, func(tx store.Tx) error { _, err := tx.PutSettings(ctx, c.ID, []byte(`{"budget":`), 2); return err })
	wantErr(t, err, store.ErrInvalid)

	got, err := s.GetSettings(ctx, c.ID)
	noErr(t, err)
	if got.Version != 2 || string(got.Doc) != `{"budget":100}` {
		t.Fatalf("settings = v%d %s", got.Version, got.Doc)
	}
}

func exerciseMappings(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	other := newConnection(t, s)
	lead := store.Mapping{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: "ic-lead", IntercomRole: store.RoleLead,
		SFObject: store.ObjectLead, SFID: "00Q000000000001", MatchKey: "email:ann@example.com"}
	company := store.Mapping{ConnectionID: c.ID, Kind: store.MappingCompany, IntercomID: "ic-co",
		SFObject: store.ObjectAccount, SFID: "001000000000001", MatchKey: "domain:example.com"}
	inTx(t, s, func(tx store.Tx) error {
		for _, m := range []store.Mapping{lead, company} {
			got, err := tx.UpsertMapping(ctx, m)
			if err != nil {
				return err
			}
			if got.ID == 0 || got.SFID != m.SFID || got.CreatedAt.IsZero() {
				return fmt.Errorf("upsert returned %+v", got)
			}
		}
		// The same ids in another connection do not collide.
		m := lead
		m.ConnectionID = other.ID
		_, err := tx.UpsertMapping(ctx, m)
		return err
	})

	got, err := s.GetMappingByIntercomID(ctx, c.ID, "ic-lead")
	noErr(t, err)
	if got.SFID != lead.SFID || got.MatchKey != lead.MatchKey || got.IntercomRole != store.RoleLead {
		t.Fatalf("by intercom id: %+v", got)
	}
	got, err = s.GetMappingBySalesforceID(ctx, c.ID, store.ObjectAccount, "001000000000001")
	noErr(t, err)
	if got.IntercomID != "ic-co" || got.Kind != store.MappingCompany {
		t.Fatalf("by salesforce id: %+v", got)
	}
	_, err = s.GetMappingBySalesforceID(ctx, c.ID, store.ObjectContact, "001000000000001")
	wantErr(t, err, store.ErrNotFound)

	// Batch reads, with duplicates and unknown ids.
	many, err := s.ListMappingsByIntercomIDs(ctx, c.ID, []string{"ic-lead", "ic-co", "ic-lead", "nope", ""})
	noErr(t, err)
	if len(many) != 2 || many["ic-co"].SFID != company.SFID {
		t.Fatalf("ListMappingsByIntercomIDs = %v", many)
	}
	bySF, err := s.ListMappingsBySalesforceIDs(ctx, c.ID, store.ObjectLead, []string{lead.SFID, company.SFID})
	noErr(t, err)
	if len(bySF) != 1 || bySF[lead.SFID].IntercomID != "ic-lead" {
		t.Fatalf("ListMappingsBySalesforceIDs = %v", bySF)
	}
	empty, err := s.ListMappingsByIntercomIDs(ctx, c.ID, nil)
	noErr(t, err)
	if len(empty) != 0 {
		t.Fatalf("no ids gave %v", empty)
	}

	// A Salesforce record can be mapped once.
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: "ic-dup",
			SFObject: store.ObjectLead, SFID: lead.SFID})
		return err
	})
	wantErr(t, err, store.ErrConflict)

	// Lead converted: repoint to the Contact; upsert updates in place.
	var repointed store.Mapping
	inTx(t, s, func(tx store.Tx) error {
		var err error
		repointed, err = tx.RepointMapping(ctx, c.ID, "ic-lead", store.ObjectContact, "003000000000001")
		return err
	})
	if repointed.SFObject != store.ObjectContact || repointed.SFID != "003000000000001" || repointed.ID == 0 {
		t.Fatalf("repointed: %+v", repointed)
	}
	_, err = s.GetMappingBySalesforceID(ctx, c.ID, store.ObjectLead, lead.SFID)
	wantErr(t, err, store.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.RepointMapping(ctx, c.ID, "ic-lead", store.ObjectAccount, company.SFID)
		return err
	})
	wantErr(t, err, store.ErrConflict)
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.RepointMapping(ctx, c.ID, "missing", store.ObjectContact, "003x")
		return err
	})
	wantErr(t, err, store.ErrNotFound)
	inTx(t, s, func(tx store.Tx) error {
		m, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: "ic-lead",
			IntercomRole: store.RoleUser, SFObject: store.ObjectContact, SFID: "003000000000002"})
		if err == nil && m.ID != repointed.ID {
			err = fmt.Errorf("upsert of an existing mapping changed its id %d → %d", repointed.ID, m.ID)
		}
		return err
	})

	for _, tc := range []struct {
		kind store.MappingKind
		want int
	}{{"", 2}, {store.MappingPerson, 1}, {store.MappingCompany, 1}} {
		n, err := s.CountMappings(ctx, c.ID, tc.kind)
		noErr(t, err)
		if n != tc.want {
			t.Errorf("CountMappings(%q) = %d, want %d", tc.kind, n, tc.want)
		}
	}

	inTx(t, s, func(tx store.Tx) error {
		return errors.Join(tx.DeleteMappingByIntercomID(ctx, c.ID, "ic-lead"),
			tx.DeleteMappingBySalesforceID(ctx, c.ID, store.ObjectAccount, company.SFID))
	})
	if n, _ := s.CountMappings(ctx, c.ID, ""); n != 0 {
		t.Fatalf("%d mappings after deletes", n)
	}
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.DeleteMappingByIntercomID(ctx, c.ID, "ic-lead") })
	wantErr(t, err, store.ErrNotFound)

	for _, bad := range []store.Mapping{
		{ConnectionID: c.ID, Kind: "robot", IntercomID: "a", SFObject: store.ObjectLead, SFID: "b"},
		{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: "", SFObject: store.ObjectLead, SFID: "b"},
		{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: "a", SFObject: "Opportunity", SFID: "b"},
		{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: "a", IntercomRole: "visitor", SFObject: store.ObjectLead, SFID: "b"},
	} {
		err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.UpsertMapping(ctx, bad); return err })
		wantErr(t, err, store.ErrInvalid)
	}
}

func exerciseFieldStates(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	changed := time.Date(2026, 11, 1, 12, 30, 45, 123456000, time.UTC)
	var states []store.FieldState
	ids := make([]string, 0, 250)
	for i := range 250 { // more than one insert batch
		id := fmt.Sprintf("rec%03d", i)
		ids = append(ids, id)
		states = append(states,
			store.FieldState{ConnectionID: c.ID, Side: store.SideSalesforce, RecordID: id, Field: "Email", Value: fmt.Sprintf(`"u%d@example.com"`, i),
				Origin: store.OriginSalesforce, ChangedAt: changed},
			store.FieldState{ConnectionID: c.ID, Side: store.SideSalesforce, RecordID: id, Field: "Phone", Value: `null`,
				Origin: store.OriginFerry, ChangedAt: changed, WrittenHash: "h1"})
	}
	inTx(t, s, func(tx store.Tx) error { return tx.PutFieldStates(ctx, states) })

	got, err := s.GetFieldStates(ctx, c.ID, store.SideSalesforce, append(ids, "unknown"))
	noErr(t, err)
	if len(got) != 250 {
		t.Fatalf("got states of %d records, want 250", len(got))
	}
	r7 := got["rec007"]
	if len(r7) != 2 || r7[0].Field != "Email" || r7[0].Value != `"u7@example.com"` || !r7[0].ChangedAt.Equal(changed) ||
		r7[1].WrittenHash != "h1" || r7[1].Origin != store.OriginFerry {
		t.Fatalf("rec007 = %+v", r7)
	}
	other, err := s.GetFieldStates(ctx, c.ID, store.SideIntercom, ids)
	noErr(t, err)
	if len(other) != 0 {
		t.Fatalf("the other side has %d records", len(other))
	}

	// Overwrite one field.
	later := changed.Add(time.Hour)
	inTx(t, s, func(tx store.Tx) error {
		return tx.PutFieldStates(ctx, []store.FieldState{{ConnectionID: c.ID, Side: store.SideSalesforce, RecordID: "rec007", Field: "Email",
			Value: `"new@example.com"`, Origin: store.OriginIntercom, ChangedAt: later, WrittenHash: "h2"}})
	})
	got, _ = s.GetFieldStates(ctx, c.ID, store.SideSalesforce, []string{"rec007"})
	if e := got["rec007"][0]; e.Value != `"new@example.com"` || e.Origin != store.OriginIntercom || !e.ChangedAt.Equal(later) || e.WrittenHash != "h2" {
		t.Fatalf("after overwrite: %+v", e)
	}

	inTx(t, s, func(tx store.Tx) error { return tx.DeleteFieldStates(ctx, c.ID, store.SideSalesforce, "rec007") })
	got, _ = s.GetFieldStates(ctx, c.ID, store.SideSalesforce, []string{"rec007", "rec008"})
	if _, ok := got["rec007"]; ok || len(got["rec008"]) != 2 {
		t.Fatalf("after delete: %v", got)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.PutFieldStates(ctx, []store.FieldState{{ConnectionID: c.ID, Side: "slack", RecordID: "x", Field: "y"}})
	})
	wantErr(t, err, store.ErrInvalid)
}

// exerciseSetupChecks: the last setup check of a connection is replaced,
// read back exactly (its time included) and refused when it is not JSON.
func exerciseSetupChecks(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	_, err := s.GetSetupCheck(ctx, c.ID)
	wantErr(t, err, store.ErrNotFound)
	at := time.Date(2026, 12, 4, 23, 0, 0, 123456000, time.UTC)
	for i, res := range []string{`{"ok":false}`, `{"ok":true}`} {
		inTx(t, s, func(tx store.Tx) error {
			return tx.PutSetupCheck(ctx, store.SetupCheck{ConnectionID: c.ID, Result: []byte(res), CheckedAt: at.Add(time.Duration(i) * time.Minute)})
		})
	}
	got, err := s.GetSetupCheck(ctx, c.ID)
	noErr(t, err)
	if string(got.Result) != `{"ok":true}` || !got.CheckedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("setup check = %s at %v", got.Result, got.CheckedAt)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.PutSetupCheck(ctx, store.SetupCheck{ConnectionID: c.ID, Result: []byte("not json"), CheckedAt: at})
	})
	wantErr(t, err, store.ErrInvalid)
}

func exerciseWatermarks(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	_, err := s.GetWatermark(ctx, c.ID, "Contact")
	wantErr(t, err, store.ErrNotFound)
	stamp := time.Date(2026, 11, 20, 8, 0, 0, 0, time.FixedZone("CET", 3600))
	for i, id := range []string{"003A", "003B"} {
		inTx(t, s, func(tx store.Tx) error {
			return tx.PutWatermark(ctx, store.Watermark{ConnectionID: c.ID, Object: "Contact", SystemModstamp: stamp.Add(time.Duration(i) * time.Second), LastID: id})
		})
	}
	w, err := s.GetWatermark(ctx, c.ID, "Contact")
	noErr(t, err)
	if !w.SystemModstamp.Equal(stamp.Add(time.Second)) || w.LastID != "003B" || w.SystemModstamp.Location() != time.UTC {
		t.Fatalf("watermark = %+v", w)
	}
	_, err = s.GetWatermark(ctx, c.ID, "Lead")
	wantErr(t, err, store.ErrNotFound)
}

func exerciseSyncErrors(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	jobID := int64(42)
	add := func(e store.SyncError) store.SyncError {
		t.Helper()
		e.ConnectionID = c.ID
		var got store.SyncError
		inTx(t, s, func(tx store.Tx) error {
			var err error
			got, err = tx.UpsertSyncError(ctx, e)
			return err
		})
		return got
	}
	first := add(store.SyncError{Object: "Lead", RecordID: "ic1", Operation: "create_lead", Code: "REQUIRED_FIELD_MISSING",
		Message: "Required fields are missing: [LastName]", RequestBody: `{"Email":"a@b"}`, JobID: &jobID})
	if first.Attempts != 1 || first.ResolvedAt != nil || first.JobID == nil || *first.JobID != 42 {
		t.Fatalf("first = %+v", first)
	}
	again := add(store.SyncError{Object: "Lead", RecordID: "ic1", Operation: "create_lead", Code: "FIELD_CUSTOM_VALIDATION_EXCEPTION",
		Message: "nope", RequestBody: `{"Email":"a@b","LastName":"B"}`})
	if again.ID != first.ID || again.Attempts != 2 || again.Code != "FIELD_CUSTOM_VALIDATION_EXCEPTION" ||
		again.RequestBody != `{"Email":"a@b","LastName":"B"}` || again.JobID == nil || *again.JobID != 42 {
		t.Fatalf("again = %+v", again)
	}
	add(store.SyncError{Object: "Contact", RecordID: "ic2", Operation: "update_contact", Code: "UNABLE_TO_LOCK_ROW"})
	add(store.SyncError{Object: "Contact", RecordID: "ic3", Operation: "update_contact", Code: "UNABLE_TO_LOCK_ROW"})

	got, err := s.GetSyncError(ctx, first.ID)
	noErr(t, err)
	if got.Message != "nope" || got.Attempts != 2 {
		t.Fatalf("GetSyncError = %+v", got)
	}

	tests := []struct {
		name      string
		f         store.SyncErrorFilter
		wantTotal int
		wantIDs   int
	}{
		{"All", store.SyncErrorFilter{ConnectionID: c.ID}, 3, 3},
		{"ByObject", store.SyncErrorFilter{ConnectionID: c.ID, Object: "Contact"}, 2, 2},
		{"ByCode", store.SyncErrorFilter{ConnectionID: c.ID, Code: "REQUIRED_FIELD_MISSING"}, 0, 0},
		{"ByRecord", store.SyncErrorFilter{ConnectionID: c.ID, RecordID: "ic2"}, 1, 1},
		{"Page", store.SyncErrorFilter{ConnectionID: c.ID, Limit: 2, Offset: 2}, 3, 1},
	}
	for _, tt := range tests {
		list, total, err := s.ListSyncErrors(ctx, tt.f)
		noErr(t, err)
		if total != tt.wantTotal || len(list) != tt.wantIDs {
			t.Errorf("%s: %d rows of %d, want %d of %d", tt.name, len(list), total, tt.wantIDs, tt.wantTotal)
		}
	}
	list, _, _ := s.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: c.ID})
	if list[0].RecordID != "ic3" {
		t.Fatalf("newest first: got %s first", list[0].RecordID)
	}

	// Success resolves; the next failure opens a new error.
	var n int
	inTx(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.ResolveSyncErrors(ctx, c.ID, "ic1", "create_lead")
		return err
	})
	if n != 1 {
		t.Fatalf("resolved %d", n)
	}
	resolved, _ := s.GetSyncError(ctx, first.ID)
	if resolved.ResolvedAt == nil {
		t.Fatal("ResolvedAt not set")
	}
	reopened := add(store.SyncError{Object: "Lead", RecordID: "ic1", Operation: "create_lead", Code: "X"})
	if reopened.ID == first.ID || reopened.Attempts != 1 {
		t.Fatalf("reopened = %+v", reopened)
	}
	_, total, _ := s.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: c.ID})
	_, all, _ := s.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: c.ID, IncludeResolved: true})
	if total != 3 || all != 4 {
		t.Fatalf("open %d, all %d; want 3, 4", total, all)
	}

	inTx(t, s, func(tx store.Tx) error { return tx.DeleteSyncError(ctx, reopened.ID) })
	_, err = s.GetSyncError(ctx, reopened.ID)
	wantErr(t, err, store.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UpsertSyncError(ctx, store.SyncError{ConnectionID: c.ID})
		return err
	})
	wantErr(t, err, store.ErrInvalid)
}

func exerciseHistory(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	for i := range 5 {
		inTx(t, s, func(tx store.Tx) error {
			_, err := tx.AppendHistory(ctx, store.HistoryEntry{ConnectionID: c.ID, Object: "Contact", IntercomID: "ic1", SalesforceID: "003A",
				Origin: store.OriginIntercom, Rule: "email", Changes: fmt.Sprintf(`{"n":%d}`, i), Outcome: "ok"})
			return err
		})
	}
	inTx(t, s, func(tx store.Tx) error {
		_, err := tx.AppendHistory(ctx, store.HistoryEntry{ConnectionID: c.ID, IntercomID: "ic2"})
		return err
	})
	page1, err := s.ListHistory(ctx, c.ID, "ic1", store.Page{Limit: 3})
	noErr(t, err)
	if len(page1) != 3 || page1[0].Changes != `{"n":4}` || page1[2].Changes != `{"n":2}` || page1[0].Rule != "email" {
		t.Fatalf("page 1 = %+v", page1)
	}
	page2, err := s.ListHistory(ctx, c.ID, "003A", store.Page{Limit: 3, BeforeID: page1[2].ID})
	noErr(t, err)
	if len(page2) != 2 || page2[0].Changes != `{"n":1}` {
		t.Fatalf("page 2 (by salesforce id) = %+v", page2)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.AppendHistory(ctx, store.HistoryEntry{ConnectionID: c.ID})
		return err
	})
	wantErr(t, err, store.ErrInvalid)
}

func exerciseUsage(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	day := time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC)
	next := day.Add(2 * time.Minute)

	// Concurrent increments are not lost.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			err := s.InTx(ctx, func(tx store.Tx) error { _, err := tx.IncrementUsage(ctx, c.ID, day, store.PurposeSync, 3); return err })
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var total int64
	inTx(t, s, func(tx store.Tx) error {
		var err error
		if _, err = tx.IncrementUsage(ctx, c.ID, next, store.PurposeBackfill, 7); err != nil {
			return err
		}
		total, err = tx.IncrementUsage(ctx, c.ID, day, store.PurposeSync, 1)
		return err
	})
	if total != 31 {
		t.Fatalf("total = %d, want 31", total)
	}
	rows, err := s.ListUsage(ctx, c.ID, day, next)
	noErr(t, err)
	want := []store.UsageRow{
		{ConnectionID: c.ID, Day: "2026-11-20", Purpose: store.PurposeSync, Count: 31},
		{ConnectionID: c.ID, Day: "2026-11-21", Purpose: store.PurposeBackfill, Count: 7},
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("ListUsage = %v, want %v", rows, want)
	}
	rows, _ = s.ListUsage(ctx, c.ID, next, next)
	if len(rows) != 1 {
		t.Fatalf("one day: %v", rows)
	}
}

func exerciseWebhookEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	ev := store.WebhookEvent{ConnectionID: c.ID, NotificationID: "notif_1", Topic: "contact.user.updated", Payload: `{"type":"notification_event"}`}
	var first store.WebhookEvent
	inTx(t, s, func(tx store.Tx) error {
		got, isNew, err := tx.InsertWebhookEvent(ctx, ev)
		if err == nil && !isNew {
			err = errors.New("first delivery not new")
		}
		first = got
		return err
	})
	inTx(t, s, func(tx store.Tx) error {
		got, isNew, err := tx.InsertWebhookEvent(ctx, ev)
		if err == nil && (isNew || got.ID != first.ID) {
			err = fmt.Errorf("redelivery: new=%v id=%d, want false %d", isNew, got.ID, first.ID)
		}
		return err
	})
	got, err := s.GetWebhookEvent(ctx, first.ID)
	noErr(t, err)
	if got.Payload != ev.Payload || got.Topic != ev.Topic || got.ProcessedAt != nil {
		t.Fatalf("event = %+v", got)
	}
	inTx(t, s, func(tx store.Tx) error { return tx.MarkWebhookEventsProcessed(ctx, []int64{first.ID}) })
	got, _ = s.GetWebhookEvent(ctx, first.ID)
	if got.ProcessedAt == nil {
		t.Fatal("ProcessedAt not set")
	}
	// Marking again (a job that finds its event drained) keeps the first
	// time; unknown ids are ignored.
	inTx(t, s, func(tx store.Tx) error { return tx.MarkWebhookEventsProcessed(ctx, []int64{first.ID, -1}) })
	again, _ := s.GetWebhookEvent(ctx, first.ID)
	if again.ProcessedAt == nil || !again.ProcessedAt.Equal(*got.ProcessedAt) {
		t.Fatalf("ProcessedAt moved from %v to %v on a second mark", got.ProcessedAt, again.ProcessedAt)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: c.ID})
		return err
	})
	wantErr(t, err, store.ErrInvalid)
}

func exerciseMatchReviews(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	var a, b store.MatchReview
	inTx(t, s, func(tx store.Tx) error {
		var err error
		if a, err = tx.AddMatchReview(ctx, store.MatchReview{ConnectionID: c.ID, IntercomID: "ic1", Reason: "two contacts share the email",
			Candidates: `[{"Id":"003A"},{"Id":"003B"}]`}); err != nil {
			return err
		}
		b, err = tx.AddMatchReview(ctx, store.MatchReview{ConnectionID: c.ID, IntercomID: "ic2"})
		return err
	})
	open, err := s.ListMatchReviews(ctx, c.ID, false)
	noErr(t, err)
	if len(open) != 2 || open[0].ID != b.ID || open[1].Candidates != a.Candidates {
		t.Fatalf("open = %+v", open)
	}
	inTx(t, s, func(tx store.Tx) error { return tx.ResolveMatchReview(ctx, a.ID, "003B") })
	err = s.InTx(ctx, func(tx store.Tx) error { return tx.ResolveMatchReview(ctx, a.ID, "003A") })
	wantErr(t, err, store.ErrNotFound)
	open, _ = s.ListMatchReviews(ctx, c.ID, false)
	all, _ := s.ListMatchReviews(ctx, c.ID, true)
	if len(open) != 1 || len(all) != 2 || all[1].Resolution != "003B" || all[1].ResolvedAt == nil {
		t.Fatalf("open %+v all %+v", open, all)
	}
}

func exerciseOAuthStates(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	st := store.OAuthState{State: "st-" + t.Name() + "-0123456789", ConnectionID: c.ID, Provider: "salesforce", Verifier: "pkce-verifier",
		RedirectTo: "/connections/1", ExpiresAt: time.Now().Add(10 * time.Minute)}
	expired := st
	expired.State += "-expired"
	expired.ExpiresAt = time.Now().Add(-time.Minute)
	inTx(t, s, func(tx store.Tx) error {
		return errors.Join(tx.CreateOAuthState(ctx, st), tx.CreateOAuthState(ctx, expired))
	})

	consume := func(state string) (store.OAuthState, error) {
		var got store.OAuthState
		err := s.InTx(ctx, func(tx store.Tx) error {
			var err error
			got, err = tx.ConsumeOAuthState(ctx, state)
			return err
		})
		return got, err
	}
	got, err := consume(st.State)
	noErr(t, err)
	if got.Verifier != "pkce-verifier" || got.ConnectionID != c.ID || got.RedirectTo != st.RedirectTo || got.Provider != "salesforce" {
		t.Fatalf("consumed %+v", got)
	}
	_, err = consume(st.State)
	wantErr(t, err, store.ErrNotFound)
	_, err = consume(expired.State)
	wantErr(t, err, store.ErrNotFound)
	_, err = consume("never-issued-state-value")
	wantErr(t, err, store.ErrNotFound)
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.CreateOAuthState(ctx, store.OAuthState{State: "short", ConnectionID: c.ID})
	})
	wantErr(t, err, store.ErrInvalid)
}

func exerciseAdminSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	live := store.AdminSession{ID: "sess-" + t.Name() + "-0123456789", ExpiresAt: time.Now().Add(time.Hour)}
	expired := store.AdminSession{ID: live.ID + "-expired", ExpiresAt: time.Now().Add(-time.Minute)}
	inTx(t, s, func(tx store.Tx) error {
		return errors.Join(tx.CreateAdminSession(ctx, expired), tx.CreateAdminSession(ctx, live))
	})
	got, err := s.GetAdminSession(ctx, live.ID)
	noErr(t, err)
	if got.CreatedAt.IsZero() || got.ExpiresAt.Sub(live.ExpiresAt).Abs() > time.Millisecond {
		t.Fatalf("session %+v, want expiry %v", got, live.ExpiresAt)
	}
	_, err = s.GetAdminSession(ctx, expired.ID)
	wantErr(t, err, store.ErrNotFound)
	// Signing out ends the session; signing out again is fine.
	inTx(t, s, func(tx store.Tx) error { return tx.DeleteAdminSession(ctx, live.ID) })
	_, err = s.GetAdminSession(ctx, live.ID)
	wantErr(t, err, store.ErrNotFound)
	inTx(t, s, func(tx store.Tx) error { return tx.DeleteAdminSession(ctx, live.ID) })
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.CreateAdminSession(ctx, store.AdminSession{ID: "short", ExpiresAt: time.Now().Add(time.Hour)})
	})
	wantErr(t, err, store.ErrInvalid)
}

func exerciseReachability(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	_, err := s.GetReachability(ctx, c.ID, store.SideSalesforce)
	wantErr(t, err, store.ErrNotFound)
	first := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	later := first.Add(30 * time.Second)
	put := func(since *time.Time, msg string) {
		inTx(t, s, func(tx store.Tx) error {
			return tx.PutReachability(ctx, store.Reachability{ConnectionID: c.ID, Side: store.SideSalesforce, UnreachableSince: since, LastError: msg})
		})
	}
	put(&first, "503 Service Unavailable")
	put(&later, "connection refused") // still down: the outage started at first
	got, err := s.GetReachability(ctx, c.ID, store.SideSalesforce)
	noErr(t, err)
	if got.UnreachableSince == nil || !got.UnreachableSince.Equal(first) || got.LastError != "connection refused" {
		t.Fatalf("reachability %+v, want unreachable since %v with the last error", got, first)
	}
	put(nil, "")
	got, _ = s.GetReachability(ctx, c.ID, store.SideSalesforce)
	if got.UnreachableSince != nil || got.LastError != "" {
		t.Fatalf("after recovery %+v, want reachable", got)
	}
	if _, err := s.GetReachability(ctx, c.ID, store.SideIntercom); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the other side: %v, want not found", err)
	}
}

func exercisePendingSummary(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	sum, err := s.SummarizePendingWebhookEvents(ctx, c.ID, "contact.", "company.")
	noErr(t, err)
	if sum.Count != 0 || sum.Oldest != nil {
		t.Fatalf("empty summary %+v", sum)
	}
	var ids []int64
	for i, topic := range []string{"contact.user.updated", "conversation.user.created", "company.updated", "contact.lead.created"} {
		inTx(t, s, func(tx store.Tx) error {
			ev, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: c.ID, NotificationID: fmt.Sprintf("n%d", i), Topic: topic, Payload: "{}"})
			ids = append(ids, ev.ID)
			return err
		})
	}
	first, _ := s.GetWebhookEvent(ctx, ids[0])
	third, _ := s.GetWebhookEvent(ctx, ids[2])
	sum, err = s.SummarizePendingWebhookEvents(ctx, c.ID, "contact.", "company.")
	noErr(t, err)
	if sum.Count != 3 || sum.Oldest == nil || !sum.Oldest.Equal(first.ReceivedAt) {
		t.Fatalf("summary %+v, want 3 from %v", sum, first.ReceivedAt)
	}
	inTx(t, s, func(tx store.Tx) error { return tx.MarkWebhookEventsProcessed(ctx, ids[:2]) })
	sum, _ = s.SummarizePendingWebhookEvents(ctx, c.ID, "contact.", "company.")
	if sum.Count != 2 || sum.Oldest == nil || !sum.Oldest.Equal(third.ReceivedAt) {
		t.Fatalf("after processing: %+v, want 2 from %v", sum, third.ReceivedAt)
	}
	all, _ := s.SummarizePendingWebhookEvents(ctx, c.ID)
	if all.Count != 2 {
		t.Fatalf("all topics: %+v", all)
	}
}

func exerciseTxRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: "ic1",
			SFObject: store.ObjectLead, SFID: "00Q1"}); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, rollbackArgs{}, nil); err != nil {
			return err
		}
		// Reads inside the transaction see its writes.
		if _, err := tx.GetMappingByIntercomID(ctx, c.ID, "ic1"); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetMappingByIntercomID(ctx, c.ID, "ic1")
	wantErr(t, err, store.ErrNotFound)
	counts, err := s.CountJobs(ctx, rollbackArgs{}.Kind())
	noErr(t, err)
	if len(counts) != 0 {
		t.Fatalf("rolled-back job exists: %v", counts)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic not propagated")
			}
		}()
		_ = s.InTx(ctx, func(tx store.Tx) error {
			_, _ = tx.UpsertMapping(ctx, store.Mapping{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: "ic2",
				SFObject: store.ObjectLead, SFID: "00Q2"})
			panic("bug")
		})
	}()
	_, err = s.GetMappingByIntercomID(ctx, c.ID, "ic2")
	wantErr(t, err, store.ErrNotFound)
	// The store still works after a panic in a transaction.
	inTx(t, s, func(tx store.Tx) error { return tx.UpdateConnectionState(ctx, c.ID, store.StateConnected, "") })
}

// purgeArgs names a connection the way ferry's jobs do.
type purgeArgs struct {
	ConnectionID int64 `json:"connection_id"`
}

func (purgeArgs) Kind() string { return "storetest_purge" }

type rollbackArgs struct{}

func (rollbackArgs) Kind() string { return "storetest_rollback" }

type jobsArgs struct {
	ConnectionID int64 `json:"connection_id"`
}

func (jobsArgs) Kind() string { return "storetest_jobs" }

func exerciseJobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	// Uniqueness: one poll per connection per period.
	unique := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}}
	var first *rivertype.JobInsertResult
	inTx(t, s, func(tx store.Tx) error {
		var err error
		first, err = tx.Enqueue(ctx, jobsArgs{ConnectionID: c.ID}, unique)
		return err
	})
	if first.UniqueSkippedAsDuplicate || first.Job.ID == 0 {
		t.Fatalf("first insert = %+v", first)
	}
	dup, err := s.Enqueue(ctx, jobsArgs{ConnectionID: c.ID}, unique)
	noErr(t, err)
	if !dup.UniqueSkippedAsDuplicate || dup.Job.ID != first.Job.ID {
		t.Fatalf("duplicate insert = %+v", dup)
	}
	scheduled, err := s.Enqueue(ctx, jobsArgs{ConnectionID: c.ID}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	noErr(t, err)

	counts, err := s.CountJobs(ctx, jobsArgs{}.Kind())
	noErr(t, err)
	if counts[rivertype.JobStateAvailable] != 1 || counts[rivertype.JobStateScheduled] != 1 {
		t.Fatalf("counts = %v", counts)
	}
	byKind, err := s.CountUnfinishedJobsByKind(ctx)
	noErr(t, err)
	if k := byKind[jobsArgs{}.Kind()]; k[rivertype.JobStateAvailable] != 1 || k[rivertype.JobStateScheduled] != 1 || len(k) != 2 {
		t.Fatalf("unfinished by kind = %v", byKind)
	}

	// Retry brings a scheduled (or failed) job forward; cancel finalizes.
	row, err := s.RetryJob(ctx, scheduled.Job.ID)
	noErr(t, err)
	if row.State != rivertype.JobStateAvailable {
		t.Fatalf("retried job state = %s", row.State)
	}
	row, err = s.CancelJob(ctx, first.Job.ID)
	noErr(t, err)
	if row.State != rivertype.JobStateCancelled {
		t.Fatalf("cancelled job state = %s", row.State)
	}
	inTx(t, s, func(tx store.Tx) error { _, err := tx.RetryJob(ctx, first.Job.ID); return err })
	got, err := s.GetJob(ctx, first.Job.ID)
	noErr(t, err)
	if got.State != rivertype.JobStateAvailable {
		t.Fatalf("job retried in a tx is %s", got.State)
	}
	_, err = s.GetJob(ctx, -1)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.RetryJob(ctx, -1)
	wantErr(t, err, store.ErrNotFound)
}
