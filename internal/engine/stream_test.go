package engine_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/metrics"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// setupStream is setup with the Salesforce emulator's Pub/Sub API serving
// change events and the engine pointed at it, with a short lease.
func setupStream(t *testing.T, o setupOpts) *bundle {
	t.Helper()
	return setupStreamWith(t, o, false)
}

// setupStreamWith is setupStream, over TLS with the emulator's own
// certificate (trusted by the engine) when useTLS.
func setupStreamWith(t *testing.T, o setupOpts, useTLS bool) *bundle {
	t.Helper()
	var addr string
	roots := x509.NewCertPool()
	before := o.before
	o.before = func(b *bundle) {
		if b.pubsub != "" {
			// Another bundle's org, streaming already.
			addr = b.pubsub
			if before != nil {
				before(b)
			}
			return
		}
		var cert *tls.Certificate
		if useTLS {
			c, pemCert, err := sfemu.SelfSignedCertificate()
			if err != nil {
				t.Fatal(err)
			}
			roots.AppendCertsFromPEM(pemCert)
			cert = &c
		}
		a, err := b.sf.StartPubSub("127.0.0.1:0", cert)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.sf.StopPubSub)
		b.sf.SetKeepAliveInterval(200 * time.Millisecond)
		addr, b.pubsub = a, a
		if before != nil {
			before(b)
		}
	}
	adjust := o.engine
	o.engine = func(eo *engine.Options) {
		eo.PubSubURL = "http://" + addr
		if useTLS {
			eo.PubSubURL = "https://" + addr
			eo.PubSubTLSConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		}
		eo.Lease = 3 * time.Second
		eo.StreamFailAfter = 2 * time.Second
		if adjust != nil {
			adjust(eo)
		}
	}
	return setup(t, o)
}

// runStreams runs eng's subscribers until the returned stop is called (or
// the test ends).
func (b *bundle) runStreams(eng *engine.Engine) (stop func()) {
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan struct{})
	go func() { defer close(done); eng.RunStreams(ctx) }()
	stop = func() { cancel(); <-done }
	b.t.Cleanup(stop)
	return stop
}

// stream returns the connection's change stream row.
func (b *bundle) stream() store.ChangeStream {
	cs, err := b.store.GetChangeStream(b.ctx, b.connID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		b.t.Fatal(err)
	}
	return cs
}

// eventually waits, generously, until cond holds.
func (b *bundle) eventually(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("timed out waiting: %s (stream: %+v)", what, b.stream())
}

// waitStreaming waits until the connection's changes arrive by stream.
func (b *bundle) waitStreaming() store.ChangeStream {
	b.t.Helper()
	var cs store.ChangeStream
	b.eventually("changes arrive by stream", func() bool {
		cs = b.stream()
		return cs.Mode == store.StreamModeStream && time.Now().Before(cs.HeldUntil)
	})
	return cs
}

// pairFor creates a matched Contact and Intercom user and returns their ids.
func (b *bundle) pairFor(email string) (sfID, icID string) {
	b.t.Helper()
	sfID = b.newRecord("Contact", map[string]any{"Email": email})
	icID = b.newContact(map[string]any{"email": email, "role": "user"})
	b.drain()
	if m, ok := b.mapping(icID); !ok || m.SFID != sfID {
		b.t.Fatalf("mapping = %+v, %v; want %s", m, ok, sfID)
	}
	return sfID, icID
}

// salesforceHistory counts the history entries of a record that came from
// Salesforce and wrote something.
func (b *bundle) salesforceHistory(sfID string) int {
	b.t.Helper()
	hs, err := b.store.ListHistory(b.ctx, b.connID, sfID, store.Page{Limit: 1000})
	if err != nil {
		b.t.Fatal(err)
	}
	n := 0
	for _, h := range hs {
		if h.Origin == store.OriginSalesforce && h.Outcome == "ok" && strings.Contains(h.Changes, "intercom") {
			n++
		}
	}
	return n
}

// TestStream covers Salesforce changes arriving by Change Data Capture
// (F3.3) end to end on the emulator's Pub/Sub API: applied without a poll
// and without a Salesforce call, no echo of ferry's own writes (F3.5), the
// replay id kept across restarts, and every fallback to polling.
func TestStream(t *testing.T) {
	t.Parallel()

	t.Run("ChangeReachesIntercomWithoutPollOrCall", func(t *testing.T) {
		t.Parallel()
		b := setupStream(t, setupOpts{})
		sfID, icID := b.pairFor("stream@example.com")
		b.runStreams(b.eng)
		if cs := b.waitStreaming(); cs.DeliveryMax != sfemu.DefaultDeliveryAllocation || cs.DeliveryReadAt.IsZero() {
			t.Errorf("event delivery allocation %d read at %v, want the org's %d", cs.DeliveryMax, cs.DeliveryReadAt, sfemu.DefaultDeliveryAllocation)
		}
		calls := b.sf.APICalls()
		b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0101", "Title": "Captain"})
		b.eventually("the phone reaches Intercom", func() bool { return b.icContact(icID).Phone == "555-0101" })
		c := b.icContact(icID)
		if c.CustomAttributes["job_title"] != "Captain" || c.CustomAttributes["SALESFORCE_TITLE"] != "Captain" {
			t.Errorf("job_title = %v, SALESFORCE_TITLE = %v; want Captain from the event", c.CustomAttributes["job_title"], c.CustomAttributes["SALESFORCE_TITLE"])
		}
		if got := b.sf.APICalls() - calls; got != 0 {
			t.Errorf("%d Salesforce API calls to apply a streamed change of a mapped record, want 0", got)
		}
		b.eventually("the replay id is saved", func() bool { return len(b.stream().ReplayID) > 0 && b.stream().Events > 0 })
		b.eventually("its history is written", func() bool { return b.salesforceHistory(sfID) >= 1 })
		if n := b.salesforceHistory(sfID); n != 1 {
			t.Errorf("%d history entries of the change, want 1", n)
		}
	})

	t.Run("OverTLS", func(t *testing.T) {
		t.Parallel()
		b := setupStreamWith(t, setupOpts{}, true)
		sfID, icID := b.pairFor("tls@example.com")
		b.runStreams(b.eng)
		b.waitStreaming()
		b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0701"})
		b.eventually("the change reaches Intercom over a TLS stream", func() bool { return b.icContact(icID).Phone == "555-0701" })
	})

	t.Run("OwnWritesAreNoEcho", func(t *testing.T) {
		t.Parallel()
		reg := prometheus.NewRegistry()
		b := setupStream(t, setupOpts{engine: func(eo *engine.Options) {
			eo.Observer = metrics.New(reg, metrics.Options{Store: eo.Store})
		}})
		sfID, icID := b.pairFor("echo@example.com")
		b.runStreams(b.eng)
		b.waitStreaming()
		events := b.stream().Events
		b.updateContact(icID, map[string]any{"phone": "555-0202"})
		b.drain()
		if got := b.sfField("Contact", sfID, "Phone"); got != "555-0202" {
			t.Fatalf("Salesforce Phone = %v, want 555-0202", got)
		}
		icCalls := b.ic.APICalls()
		sfCalls := b.sf.APICalls()
		// ferry's own write comes back as an event: it is applied (the
		// replay id moves past it) and writes nothing anywhere.
		b.eventually("ferry's own change event is consumed", func() bool { return b.stream().Events > events })
		if d := b.ic.APICalls() - icCalls; d != 0 {
			t.Errorf("%d Intercom calls after ferry's own Salesforce write came back, want 0 (echo)", d)
		}
		if d := b.sf.APICalls() - sfCalls; d != 0 {
			t.Errorf("%d Salesforce calls to recognise ferry's own write, want 0", d)
		}
		if n := b.salesforceHistory(sfID); n != 0 {
			t.Errorf("%d Salesforce → Intercom history entries, want 0 (echo)", n)
		}
		if n := streamEvents(t, reg, "echo"); n < 1 {
			t.Errorf("%v events recognised as echoes by their origin, want at least 1", n)
		}
	})

	t.Run("ReplayTooOldFallsBackAndReconciles", func(t *testing.T) {
		t.Parallel()
		b := setupStream(t, setupOpts{})
		sfID, icID := b.pairFor("old@example.com")
		b.poll()
		stop := b.runStreams(b.eng)
		b.waitStreaming()
		b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0301"})
		b.eventually("the first change lands", func() bool { return b.icContact(icID).Phone == "555-0301" })
		stop()
		before := b.stream()
		// While ferry is away, a change is made and Salesforce drops
		// every event it kept: the saved replay id is too old.
		b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0302"})
		b.sf.EvictAllEvents()
		b.runStreams(b.eng)
		b.eventually("the stream resumes from the newest event", func() bool {
			cs := b.stream()
			return cs.Mode == store.StreamModeStream && cs.ModeSince.After(before.ModeSince)
		})
		if b.icContact(icID).Phone == "555-0302" {
			t.Fatal("the missed change arrived without a poll: the test cannot tell the reconciliation")
		}
		// The change of mode makes the next (unforced) poll reconcile the
		// missed window.
		if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
			t.Fatal(err)
		}
		if got := b.icContact(icID).Phone; got != "555-0302" {
			t.Errorf("Intercom phone after the reconciling poll = %q, want 555-0302", got)
		}
	})

	t.Run("ObjectWithoutChangeEventsIsPolledAndNamed", func(t *testing.T) {
		t.Parallel()
		b := setupStream(t, setupOpts{before: func(b *bundle) {
			if err := b.sf.SetChangeEventsEnabled("Contact", false); err != nil {
				t.Fatal(err)
			}
		}})
		sfID, icID := b.pairFor("nocdc@example.com")
		b.poll()
		b.runStreams(b.eng)
		cs := b.waitStreaming()
		if !slices.Equal(cs.Missing, []string{"Contact"}) || slices.Contains(cs.Objects, "Contact") {
			t.Errorf("stream objects %v, missing %v; want Contact missing", cs.Objects, cs.Missing)
		}
		res, err := b.mgr.SetupCheck(b.ctx, b.connID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range res.Problems {
			if p.Kind == setupcheck.KindNoChangeEvents && strings.Contains(p.Message, "Contact") &&
				strings.Contains(p.Fix, "Integrations > Change Data Capture") {
				found = true
			}
		}
		if !found {
			t.Errorf("setup check problems = %+v, want one naming Contact and how to enable its change events", res.Problems)
		}
		// Contacts are still polled at the normal interval.
		b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0401"})
		b.clock.Advance(10 * time.Minute)
		if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
			t.Fatal(err)
		}
		if got := b.icContact(icID).Phone; got != "555-0401" {
			t.Errorf("Intercom phone = %q, want 555-0401 from the poll", got)
		}
	})

	for _, kind := range []string{"GAP_CREATE", "GAP_OVERFLOW"} {
		t.Run(kind+"ReadsTheRecords", func(t *testing.T) {
			t.Parallel()
			b := setupStream(t, setupOpts{})
			b.poll()
			b.runStreams(b.eng)
			b.waitStreaming()
			icID := b.newContact(map[string]any{"email": "gap@example.com", "role": "user"})
			b.drain()
			// A Contact whose creation sent no event, then the gap event.
			if err := b.sf.SetChangeEventsEnabled("Contact", false); err != nil {
				t.Fatal(err)
			}
			sfID := b.newRecord("Contact", map[string]any{"Email": "gap@example.com", "Title": "Gap"})
			if err := b.sf.SetChangeEventsEnabled("Contact", true); err != nil {
				t.Fatal(err)
			}
			if _, ok := b.mapping(icID); ok {
				t.Fatal("mapped before the gap event: the test cannot tell")
			}
			var ids []string
			if kind == "GAP_CREATE" {
				ids = []string{sfID}
			}
			if err := b.sf.InjectGapEvent("Contact", kind, ids); err != nil {
				t.Fatal(err)
			}
			b.eventually("the record of the gap event is matched", func() bool {
				m, ok := b.mapping(icID)
				return ok && m.SFID == sfID
			})
		})
	}

	t.Run("StreamClosedMidBatchLosesNothing", func(t *testing.T) {
		t.Parallel()
		b := setupStream(t, setupOpts{})
		const n = 6
		var sf, ic []string
		for i := range n {
			s, c := b.pairFor(fmt.Sprintf("close%d@example.com", i))
			sf, ic = append(sf, s), append(ic, c)
		}
		b.runStreams(b.eng)
		b.waitStreaming()
		for i := range n {
			b.updateRecord("Contact", sf[i], map[string]any{"Phone": fmt.Sprintf("555-05%02d", i)})
			if i == n/2 {
				b.sf.CloseStreams()
			}
		}
		for i := range n {
			want := fmt.Sprintf("555-05%02d", i)
			b.eventually("change "+want+" lands", func() bool { return b.icContact(ic[i]).Phone == want })
			b.eventually("its history is written", func() bool { return b.salesforceHistory(sf[i]) >= 1 })
		}
		for i := range n {
			if h := b.salesforceHistory(sf[i]); h != 1 {
				t.Errorf("record %d: %d history entries, want 1 (applied once)", i, h)
			}
		}
	})

	t.Run("AccessTokenRevokedIsRefreshed", func(t *testing.T) {
		t.Parallel()
		b := setupStream(t, setupOpts{})
		sfID, icID := b.pairFor("refresh@example.com")
		b.runStreams(b.eng)
		b.waitStreaming()
		src, err := b.mgr.SalesforceTokens(b.ctx, b.connID)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := src.Token(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The session ends (its access token revoked); the refresh token
		// still works.
		resp, err := http.PostForm(b.sfURL+"/services/oauth2/revoke", url.Values{"token": {tok.AccessToken}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %s", resp.Status)
		}
		b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0801"})
		b.eventually("the change arrives over a stream with a refreshed token", func() bool { return b.icContact(icID).Phone == "555-0801" })
		if now, err := src.Token(b.ctx); err != nil || now.AccessToken == tok.AccessToken {
			t.Errorf("token after the revocation: %v (same as before: %v)", err, err == nil && now.AccessToken == tok.AccessToken)
		}
		if b.conn().State != store.StateConnected {
			t.Errorf("connection state %s, want connected", b.conn().State)
		}
	})

	t.Run("DeliveryAllocationSpentFallsBackToPolling", func(t *testing.T) {
		t.Parallel()
		b := setupStream(t, setupOpts{})
		sfID, icID := b.pairFor("spent@example.com")
		b.poll()
		b.runStreams(b.eng)
		b.waitStreaming()
		b.sf.SetDeliveryAllocation(0)
		b.sf.CloseStreams()
		b.eventually("the stream says the allocation is used up", func() bool {
			cs := b.stream()
			return cs.Mode == store.StreamModePoll && strings.Contains(cs.Cause, "allocation")
		})
		// Changes are polled meanwhile: the mode change makes the next
		// poll due at once.
		b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0901"})
		if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
			t.Fatal(err)
		}
		if got := b.icContact(icID).Phone; got != "555-0901" {
			t.Errorf("Intercom phone = %q while the allocation is spent, want 555-0901 from the poll", got)
		}
	})

	t.Run("TokenRevokedFallsBackVisibly", func(t *testing.T) {
		t.Parallel()
		b := setupStream(t, setupOpts{})
		b.runStreams(b.eng)
		b.waitStreaming()
		b.sf.RevokeAllTokens()
		b.sf.CloseStreams()
		b.eventually("the connection says Salesforce refused it", func() bool {
			return b.conn().State != store.StateConnected
		})
		b.eventually("the stream says why changes are not streamed", func() bool {
			cs := b.stream()
			return cs.Mode == store.StreamModePoll && cs.Cause != ""
		})
	})
}

// TestStreamOneSubscriberAcrossInstances: two instances on one PostgreSQL
// store run one subscriber per connection; when it stops, the other takes
// over and changes keep arriving, each applied once.
func TestStreamOneSubscriberAcrossInstances(t *testing.T) {
	t.Parallel()
	var pg *storetest.Engine
	for _, e := range storetest.Engines() {
		if e.Engine == store.EnginePostgres {
			pg = &e
		}
	}
	if pg == nil {
		t.Skip("FERRY_TEST_DATABASE_URL is not set")
	}
	var eo engine.Options
	b := setupStream(t, setupOpts{db: pg, engine: func(o *engine.Options) { o.Owner = "first"; eo = *o }})
	eo.Owner = "second"
	second := engine.New(eo)
	sfID, icID := b.pairFor("two@example.com")
	stopFirst := b.runStreams(b.eng)
	b.waitStreaming()
	b.runStreams(second)
	holder := b.stream().Holder
	if holder != "first" {
		t.Fatalf("holder = %q, want the first instance", holder)
	}
	b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0601"})
	b.eventually("the first change lands", func() bool { return b.icContact(icID).Phone == "555-0601" })
	if h := b.stream().Holder; h != "first" {
		t.Errorf("holder changed to %q while the first lived", h)
	}
	stopFirst()
	b.eventually("the second instance takes over", func() bool {
		cs := b.stream()
		return cs.Holder == "second" && time.Now().Before(cs.HeldUntil)
	})
	b.updateRecord("Contact", sfID, map[string]any{"Phone": "555-0602"})
	b.eventually("the change after the takeover lands", func() bool { return b.icContact(icID).Phone == "555-0602" })
	b.eventually("its history is written", func() bool { return b.salesforceHistory(sfID) >= 2 })
	if n := b.salesforceHistory(sfID); n != 2 {
		hs, _ := b.store.ListHistory(b.ctx, b.connID, sfID, store.Page{Limit: 100})
		for _, h := range hs {
			t.Logf("history: %s %s %s %s", h.Origin, h.Outcome, h.Rule, h.Changes)
		}
		t.Errorf("%d history entries, want 2 (each change applied once)", n)
	}
}

// streamEvents reads ferry_salesforce_stream_events_total of a kind.
func streamEvents(t *testing.T, reg *prometheus.Registry, kind string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, f := range fams {
		if f.GetName() != "ferry_salesforce_stream_events_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// TestStreamTwoDeploymentsOnOneOrgSeeEachOthersChanges runs two ferry
// deployments, each with its own store whose connection is connection 1,
// against one Salesforce org: each recognises only its own writes as
// echoes by changeOrigin (F3.5), and takes the other's writes as the real
// changes they are (F3.3).
func TestStreamTwoDeploymentsOnOneOrgSeeEachOthersChanges(t *testing.T) {
	t.Parallel()
	a := setupStream(t, setupOpts{})
	d := setupStream(t, setupOpts{org: a})
	if a.connID != 1 || d.connID != 1 {
		t.Fatalf("connection ids %d and %d, want 1 in both deployments", a.connID, d.connID)
	}
	if ca, cd := a.conn().SalesforceClient, d.conn().SalesforceClient; ca == "" || ca == cd {
		t.Fatalf("Salesforce client ids %q and %q, want two different ones", ca, cd)
	}
	sfID := a.newRecord("Contact", map[string]any{"Email": "shared@example.com"})
	icA := a.newContact(map[string]any{"email": "shared@example.com", "role": "user"})
	a.drain()
	icD := d.newContact(map[string]any{"email": "shared@example.com", "role": "user"})
	d.drain()
	for _, b := range []*bundle{a, d} {
		if m, ok := b.mapping(map[*bundle]string{a: icA, d: icD}[b]); !ok || m.SFID != sfID {
			t.Fatalf("mapping = %+v, %v; want the shared Contact %s", m, ok, sfID)
		}
	}
	a.runStreams(a.eng)
	d.runStreams(d.eng)
	a.waitStreaming()
	d.waitStreaming()

	a.updateContact(icA, map[string]any{"phone": "555-0301"})
	a.drain()
	d.eventually("the first deployment's write reaches the second's Intercom",
		func() bool { return d.icContact(icD).Phone == "555-0301" })
	// Intercom stamps changes to the second: a later one in another
	// second, so it is not taken as older than the change just applied.
	d.clock.Advance(2 * time.Second)
	d.updateContact(icD, map[string]any{"phone": "555-0302"})
	d.drain()
	a.eventually("the second deployment's write reaches the first's Intercom",
		func() bool { return a.icContact(icA).Phone == "555-0302" })
	if got := a.sfField("Contact", sfID, "Phone"); got != "555-0302" {
		t.Errorf("Salesforce Phone = %v, want 555-0302", got)
	}
	// Each applied exactly the other's one change: its own write came
	// back as an echo and was written nowhere.
	for name, b := range map[string]*bundle{"first": a, "second": d} {
		b.eventually("the history is written", func() bool { return b.salesforceHistory(sfID) >= 1 })
		if n := b.salesforceHistory(sfID); n != 1 {
			t.Errorf("the %s deployment applied %d Salesforce changes, want 1 (the other's)", name, n)
		}
	}
}
