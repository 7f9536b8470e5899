package engine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

const (
	icToken  = "ic-test-token"
	icSecret = "ic-client-secret"
)

// testSettings maps a few attributes of each kind: both ways, one way, a
// text attribute into a restricted picklist and into a short text field.
const testSettings = `{
  "mappings": [
    {"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "both"},
    {"object": "lead", "intercom": "custom_attributes.job_title", "salesforce": "Title", "direction": "both"},
    {"object": "lead", "intercom": "custom_attributes.tier", "salesforce": "Tier__c", "direction": "to_salesforce"},
    {"object": "user", "intercom": "phone", "salesforce": "Phone", "direction": "both"},
    {"object": "user", "intercom": "custom_attributes.job_title", "salesforce": "Title", "direction": "both"},
    {"object": "user", "intercom": "custom_attributes.nickname", "salesforce": "Nickname__c", "direction": "to_salesforce"}
  ]
}`

// clock is wall time plus a settable offset, shared by both emulators, the
// manager and the engine, so tests can move to the next day.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.offset) }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type bundle struct {
	t     testing.TB
	ctx   context.Context
	clock *clock
	sf    *sfemu.Server
	ic    *icemu.Server
	sfURL string
	sfSrv *httptest.Server
	// pubsub is the Salesforce emulator's Pub/Sub API address, when it
	// serves one.
	pubsub string
	// icURL, dbURL and box are what a second instance on the same
	// database needs.
	icURL  string
	dbURL  string
	box    *secret.Box
	oauth  salesforce.Config
	store  store.Store
	mgr    *connection.Manager
	eng    *engine.Engine
	connID int64
}

type setupOpts struct {
	// workers runs River workers with the engine; otherwise tests call
	// the engine's methods directly.
	workers  bool
	settings string
	// db picks the store engine; SQLite when zero.
	db *storetest.Engine
	// before runs after the emulators start, before anything connects:
	// schema the settings need.
	before func(b *bundle)
	// sfFront, if set, wraps the Salesforce emulator: what stands between
	// ferry and Salesforce (a proxy, a recorder).
	sfFront func(http.Handler) http.Handler
	// noSettings connects without saving settings first.
	noSettings bool
	// engine adjusts the engine's options.
	engine func(*engine.Options)
	// hookFront, if set, wraps ferry's webhook endpoint: what Intercom's
	// deliveries meet on their way (a failing proxy, a gate).
	hookFront func(http.Handler) http.Handler
	// icFront, if set, wraps the Intercom emulator as sfFront does the
	// Salesforce one.
	icFront func(http.Handler) http.Handler
	// org, if set, is another bundle whose Salesforce org (emulator) this
	// one connects to: a second ferry deployment writing to the same org.
	org *bundle
}

// setup starts both emulators, a store, a manager and an engine, connects
// the connection (Salesforce by web-server OAuth, Intercom by token), saves
// the settings and subscribes a real signed-webhook endpoint whose sink
// stores each event and enqueues its job in one transaction, as the daemon's.
func setup(t testing.TB, o setupOpts) *bundle {
	t.Helper()
	ctx := context.Background()
	clk := &clock{}
	b := &bundle{t: t, ctx: ctx, clock: clk}

	if o.org != nil {
		b.sf, b.sfSrv, b.pubsub = o.org.sf, o.org.sfSrv, o.org.pubsub
	} else {
		b.sf = sfemu.New(sfemu.Options{Seed: "empty", Now: clk.Now, AutoApprove: true})
		var sfHandler http.Handler = b.sf
		if o.sfFront != nil {
			sfHandler = o.sfFront(b.sf)
		}
		b.sfSrv = httptest.NewServer(sfHandler)
		t.Cleanup(b.sfSrv.Close)
	}
	sfSrv := b.sfSrv
	b.sfURL = sfSrv.URL
	b.ic = icemu.New(icemu.Options{Tokens: []string{icToken}, ClientSecret: icSecret, Now: clk.Now,
		WebhookRetryDelay: 200 * time.Millisecond, RateLimit: 100000})
	var icHandler http.Handler = b.ic
	if o.icFront != nil {
		icHandler = o.icFront(b.ic)
	}
	icSrv := httptest.NewServer(icHandler)
	t.Cleanup(func() { b.ic.Close(); icSrv.Close() })

	for _, spec := range []sfemu.FieldSpec{
		{Object: "Lead", Name: "Tier__c", Type: "picklist", PicklistValues: []string{"Gold", "Silver"}, RestrictedPicklist: true},
		{Object: "Contact", Name: "Nickname__c", Type: "string", Length: 10},
	} {
		if o.org != nil {
			break // the org has them already
		}
		if err := b.sf.AddField(spec); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"job_title", "tier", "nickname"} {
		if err := b.ic.CustomAttribute("contact", name, "string"); err != nil {
			t.Fatal(err)
		}
	}
	if o.before != nil {
		o.before(b)
	}

	var workers *river.Workers
	var periodic []*river.PeriodicJob
	var bindJobs func(store.Store, jobs.Syncer)
	opts := store.Options{}
	if o.workers {
		// As the daemon wires it: workers first (the store needs them to
		// open), the store and engine bound to them before Start.
		workers = river.NewWorkers()
		periodic, bindJobs = jobs.RegisterDeferred(workers, jobs.Options{PollInterval: time.Hour, DisconnectedRetry: 100 * time.Millisecond})
		opts = store.Options{Workers: workers, PeriodicJobs: periodic, FetchPollInterval: 20 * time.Millisecond, FetchCooldown: 5 * time.Millisecond,
			RetryPolicy: fastRetry{}, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}}
	}
	// Opened by hand rather than with storetest.Open, which starts the
	// workers before the engine (which needs the store) can be registered.
	opts.Secret = storetest.NewBox(t)
	url := storetest.SQLiteURL(t)
	if o.db != nil {
		url = o.db.URL(t)
	}
	b.dbURL, b.box, b.icURL = url, opts.Secret, icSrv.URL
	st, err := store.Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.Stop(sctx)
		_ = st.Close()
	})
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b.store = st
	if err := b.store.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.CreateConnection(ctx, store.Connection{Name: "default"})
		b.connID = c.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b.oauth = salesforce.Config{LoginURL: sfSrv.URL, ClientID: sfemu.DefaultClientID, ClientSecret: sfemu.DefaultClientSecret,
		RedirectURL: "http://127.0.0.1:1/oauth/salesforce/callback", HTTPClient: sfSrv.Client()}
	b.mgr = connection.NewManager(connection.Options{Store: b.store, Salesforce: b.oauth, IntercomURL: icSrv.URL, Now: clk.Now})
	eo := engine.Options{Store: b.store, Manager: b.mgr, Now: clk.Now, PollOverlap: 5 * time.Second,
		DisconnectedRetry: 100 * time.Millisecond, RetryAfter: 24 * time.Hour, SettingsPollInterval: true}
	if o.engine != nil {
		o.engine(&eo)
	}
	b.eng = engine.New(eo)

	if o.workers {
		bindJobs(b.store, b.eng)
	}

	doc := testSettings
	if o.settings != "" {
		doc = o.settings
	}
	if err := b.store.InTx(ctx, func(tx store.Tx) error {
		if o.noSettings {
			return nil
		}
		_, err := tx.PutSettings(ctx, b.connID, []byte(doc), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b.connectSalesforce()
	if err := b.mgr.StoreIntercomToken(ctx, b.connID, icToken, b.ic.AppID()); err != nil {
		t.Fatal(err)
	}
	if err := b.store.InTx(ctx, func(tx store.Tx) error {
		return engine.StartInitialSync(ctx, tx, b.connID, clk.Now())
	}); err != nil {
		t.Fatal(err)
	}

	front := func(h http.Handler) http.Handler { return h }
	if o.hookFront != nil {
		front = o.hookFront
	}
	hook := httptest.NewServer(front(intercom.NewWebhookHandler(intercom.WebhookConfig{Secret: icSecret,
		Sink: intercom.SinkFunc(func(ctx context.Context, ev *intercom.Event) error {
			if ev.Kind == intercom.KindPing {
				return nil
			}
			return b.store.InTx(ctx, func(tx store.Tx) error {
				_, _, err := jobs.StoreWebhookEvent(ctx, tx, store.WebhookEvent{ConnectionID: b.connID,
					NotificationID: ev.ID, Topic: ev.Topic, Payload: string(ev.Raw)})
				return err
			})
		})})))
	t.Cleanup(hook.Close)
	b.ic.AddWebhook(hook.URL)

	if o.workers {
		if err := b.store.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// fastRetry retries failed jobs after 50 ms, so tests of transient failures
// stay quick.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(50 * time.Millisecond) }

// connectSalesforce runs the OAuth web-server flow with PKCE against the
// auto-approving emulator and stores the token.
func (b *bundle) connectSalesforce() {
	t := b.t
	verifier := salesforce.GenerateVerifier()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(b.oauth.AuthCodeURL("state-0123456789abcdef", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize: status %d: %v", resp.StatusCode, err)
	}
	tok, err := b.oauth.Exchange(b.ctx, loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.mgr.StoreSalesforceToken(b.ctx, b.connID, tok); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) conn() store.Connection {
	c, err := b.store.GetConnection(b.ctx, b.connID)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// lastEventID is the id of the newest stored webhook event.
func (b *bundle) lastEventID() int64 {
	evs, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 100000)
	if err != nil {
		b.t.Fatal(err)
	}
	var id int64
	for _, e := range evs {
		id = max(id, e.ID)
	}
	for {
		if _, err := b.store.GetWebhookEvent(b.ctx, id+1); err != nil {
			return id
		}
		id++
	}
}

// waitEvent waits until a webhook about recordID whose topic contains
// topic, newer than after, is stored.
func (b *bundle) waitEvent(after int64, recordID, topic string, contains ...string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for id := after + 1; ; id++ {
			ev, err := b.store.GetWebhookEvent(b.ctx, id)
			if err != nil {
				break
			}
			if strings.Contains(ev.Topic, topic) && strings.Contains(ev.Payload, recordID) && containsAll(ev.Payload, contains) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.t.Fatalf("no %s webhook about %s arrived", topic, recordID)
}

// drain processes every pending event now.
func (b *bundle) drain() {
	b.t.Helper()
	if err := b.eng.Drain(b.ctx, b.connID); err != nil {
		b.t.Fatalf("drain: %v", err)
	}
}

// poll runs one poll.
func (b *bundle) poll() {
	b.t.Helper()
	if err := b.eng.Poll(engine.ForcePoll(b.ctx), b.conn()); err != nil {
		b.t.Fatalf("poll: %v", err)
	}
}

// mapping returns the mapping of an Intercom record, or false.
func (b *bundle) mapping(icID string) (store.Mapping, bool) {
	m, err := b.store.GetMappingByIntercomID(b.ctx, b.connID, icID)
	if err != nil {
		return m, false
	}
	return m, true
}

// sfField returns a field of a Salesforce record.
func (b *bundle) sfField(object, id, field string) any {
	rec, ok := b.sf.Record(object, id)
	if !ok {
		b.t.Fatalf("no %s %s", object, id)
	}
	return rec[field]
}

// icContact reads a contact through the API.
func (b *bundle) icContact(id string) *intercom.Contact {
	c, err := b.icClient().GetContact(b.ctx, id)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

func (b *bundle) icClient() *intercom.Client {
	c, err := b.mgr.Intercom(b.ctx, b.connID)
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// newLead loads a Lead as a UI user would.
func (b *bundle) newRecord(object string, fields map[string]any) string {
	b.t.Helper()
	if _, ok := fields["LastName"]; !ok && object != "Account" {
		fields["LastName"] = "Test"
	}
	if _, ok := fields["Company"]; !ok && object == "Lead" {
		fields["Company"] = "Acme"
	}
	id, err := b.sf.CreateRecord(object, fields)
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}

// newContact creates an Intercom contact through the Messenger and waits
// for its webhook.
func (b *bundle) newContact(attrs map[string]any) string {
	b.t.Helper()
	mark := b.lastEventID()
	id, err := b.ic.MessengerCreateContact(attrs)
	if err != nil {
		b.t.Fatal(err)
	}
	b.waitEvent(mark, id, "created")
	return id
}

// updateContact changes a contact as its owner would and waits for the
// webhook.
func (b *bundle) updateContact(id string, attrs map[string]any) {
	b.t.Helper()
	// Intercom records changes to the second: let edits be seconds apart,
	// as people's are, so "latest change wins" has an answer (F3.5).
	b.clock.Advance(2 * time.Second)
	mark := b.lastEventID()
	if err := b.ic.MessengerUpdateContact(id, attrs); err != nil {
		b.t.Fatal(err)
	}
	var want []string
	for _, v := range attrs {
		switch v := v.(type) {
		case string:
			want = append(want, `"`+v+`"`)
		case map[string]any:
			for _, w := range v {
				if s, ok := w.(string); ok {
					want = append(want, `"`+s+`"`)
				}
			}
		}
	}
	b.waitEvent(mark, id, "updated", want...)
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// countRecords counts an object's live records through the API.
func (b *bundle) countRecords(object string) (int, error) {
	sf, err := b.mgr.Salesforce(b.ctx, b.connID)
	if err != nil {
		return 0, err
	}
	return sf.Count(b.ctx, "SELECT COUNT() FROM "+object)
}

// updateRecord changes a Salesforce record as a UI user would, seconds
// after the previous edit.
func (b *bundle) updateRecord(object, id string, fields map[string]any) {
	b.t.Helper()
	b.clock.Advance(2 * time.Second)
	if err := b.sf.UpdateRecord(object, id, fields); err != nil {
		b.t.Fatal(err)
	}
}

// icContactCount counts the workspace's contacts.
func (b *bundle) icContactCount() int {
	n := 0
	for _, err := range b.icClient().ListContacts(b.ctx, intercom.ListOptions{PerPage: 150}) {
		if err != nil {
			b.t.Fatal(err)
		}
		n++
	}
	return n
}

// sfField describes an unrestricted picklist field.
func sfField(object, name string, values ...string) sfemu.FieldSpec {
	return sfemu.FieldSpec{Object: object, Name: name, Type: "picklist", PicklistValues: values}
}

// sfTextField describes a custom text field.
func sfTextField(object, name string) sfemu.FieldSpec {
	return sfemu.FieldSpec{Object: object, Name: name, Type: "string", Length: 255}
}
