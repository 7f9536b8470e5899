package salesforce_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce/pubsubapi"
	"github.com/hamba/avro/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// psBundle is an emulator with its Pub/Sub API served on loopback and a
// client made from the generated stubs.
type psBundle struct {
	*bundle
	client pubsubapi.PubSubClient
	addr   string

	mu      sync.Mutex
	schemas map[string]avro.Schema
	fields  map[string][]pubsubapi.Field
}

func setupPubSub(t *testing.T, opts ...setupOpt) *psBundle {
	t.Helper()
	b := setup(t, opts...)
	addr, err := b.sf.StartPubSub("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.sf.StopPubSub)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &psBundle{bundle: b, client: pubsubapi.NewPubSubClient(conn), addr: addr,
		schemas: map[string]avro.Schema{}, fields: map[string][]pubsubapi.Field{}}
}

// authCtx carries the three auth headers Salesforce checks.
func (p *psBundle) authCtx(token string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	p.t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "accesstoken", token,
		"instanceurl", p.srv.URL, "tenantid", p.sf.OrgID())
}

// subscribe opens a Subscribe stream with a first FetchRequest.
func (p *psBundle) subscribe(req *pubsubapi.FetchRequest) pubsubapi.PubSub_SubscribeClient {
	p.t.Helper()
	st, err := p.client.Subscribe(p.authCtx(p.token))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := st.Send(req); err != nil {
		p.t.Fatal(err)
	}
	return st
}

// event is a decoded change event.
type event struct {
	replay  uint64
	header  map[string]any
	body    map[string]any
	changed []string
	nulled  []string
}

func (e event) ids() []string { return strs(e.header["recordIds"]) }

func strs(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// decode reads an event with the schema GetSchema serves for its id.
func (p *psBundle) decode(ce *pubsubapi.ConsumerEvent) event {
	p.t.Helper()
	id := ce.GetEvent().GetSchemaId()
	p.mu.Lock()
	sc, ok := p.schemas[id]
	p.mu.Unlock()
	if !ok {
		info, err := p.client.GetSchema(p.authCtx(p.token), &pubsubapi.SchemaRequest{SchemaId: id})
		if err != nil {
			p.t.Fatalf("GetSchema %s: %v", id, err)
		}
		if info.GetSchemaId() != id {
			p.t.Fatalf("GetSchema answered schema %s for %s", info.GetSchemaId(), id)
		}
		sc, err = avro.ParseWithCache(info.GetSchemaJson(), "", &avro.SchemaCache{})
		if err != nil {
			p.t.Fatalf("schema %s: %v\n%s", id, err, info.GetSchemaJson())
		}
		fields, err := pubsubapi.SchemaFields(info.GetSchemaJson())
		if err != nil {
			p.t.Fatal(err)
		}
		p.mu.Lock()
		p.schemas[id], p.fields[id] = sc, fields
		p.mu.Unlock()
	}
	var body map[string]any
	if err := avro.Unmarshal(sc, ce.GetEvent().GetPayload(), &body); err != nil {
		p.t.Fatalf("decode event: %v", err)
	}
	hdr := body["ChangeEventHeader"].(map[string]any)
	delete(body, "ChangeEventHeader")
	p.mu.Lock()
	fields := p.fields[id]
	p.mu.Unlock()
	changed, err := pubsubapi.DecodeBitmap(fields, strs(hdr["changedFields"]))
	if err != nil {
		p.t.Fatal(err)
	}
	nulled, err := pubsubapi.DecodeBitmap(fields, strs(hdr["nulledFields"]))
	if err != nil {
		p.t.Fatal(err)
	}
	if len(ce.GetReplayId()) != 8 {
		p.t.Fatalf("replay id has %d bytes", len(ce.GetReplayId()))
	}
	return event{replay: binary.BigEndian.Uint64(ce.GetReplayId()), header: hdr, body: body, changed: changed, nulled: nulled}
}

// receive reads responses until n events arrived (keep-alives skipped).
func (p *psBundle) receive(st pubsubapi.PubSub_SubscribeClient, n int) ([]event, *pubsubapi.FetchResponse) {
	p.t.Helper()
	var out []event
	var last *pubsubapi.FetchResponse
	for len(out) < n {
		res, err := st.Recv()
		if err != nil {
			p.t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		last = res
		for _, ce := range res.GetEvents() {
			out = append(out, p.decode(ce))
		}
	}
	return out, last
}

// unionValue unwraps a decoded ["null", T] union.
func unionValue(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, x := range m {
			return x
		}
	}
	return v
}

// errorCode is the error-code trailer of a failed call.
func errorCode(md metadata.MD) string {
	if v := md.Get("error-code"); len(v) > 0 {
		return v[0]
	}
	return ""
}

// streamErr reads a stream until it fails and returns the status and the
// error-code trailer.
func streamErr(t *testing.T, st pubsubapi.PubSub_SubscribeClient) (*status.Status, string) {
	t.Helper()
	for {
		_, err := st.Recv()
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			t.Fatal("stream ended without an error")
		}
		return status.Convert(err), errorCode(st.Trailer())
	}
}

func TestPubSubStreamsRecordChanges(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_EARLIEST, NumRequested: 10})

	// A REST create, update and delete with a client id in Sforce-Call-Options.
	req := func(method, path string, body any) {
		t.Helper()
		r := p.doWithHeader(method, path, body, "Sforce-Call-Options", "client=ferry")
		if r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
	}
	id := p.create("Lead", map[string]any{"FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical", "Email": "ada@example.com"})
	req(http.MethodPatch, v+"/sobjects/Lead/"+id, map[string]any{"LastName": "King", "Email": nil})
	req(http.MethodDelete, v+"/sobjects/Lead/"+id, nil)

	evs, _ := p.receive(st, 3)
	create, update, del := evs[0], evs[1], evs[2]
	for i, e := range evs {
		if got := e.ids(); !reflect.DeepEqual(got, []string{id}) {
			t.Errorf("event %d recordIds = %v", i, got)
		}
		if e.header["entityName"] != "Lead" || e.header["commitUser"] != p.sf.LoginUserID() {
			t.Errorf("event %d header = %v", i, e.header)
		}
		if i > 0 && e.replay <= evs[i-1].replay {
			t.Errorf("replay ids not increasing: %d then %d", evs[i-1].replay, e.replay)
		}
	}
	t.Run("create carries every field and no changed fields", func(t *testing.T) {
		if create.header["changeType"] != "CREATE" || len(create.changed) != 0 {
			t.Errorf("header = %v, changed %v", create.header, create.changed)
		}
		if create.header["changeOrigin"] != "com/salesforce/api/rest/62.0" {
			t.Errorf("changeOrigin = %v", create.header["changeOrigin"])
		}
		name := unionValue(create.body["Name"]).(map[string]any)
		if unionValue(name["FirstName"]) != "Ada" || unionValue(name["LastName"]) != "Lovelace" {
			t.Errorf("Name = %v", name)
		}
		if unionValue(create.body["Company"]) != "Analytical" || unionValue(create.body["Status"]) != "Open - Not Contacted" {
			t.Errorf("body = %v", create.body)
		}
		if _, ok := unionValue(create.body["CreatedDate"]).(int64); !ok {
			t.Errorf("CreatedDate = %#v, want epoch milliseconds", create.body["CreatedDate"])
		}
	})
	t.Run("update carries the changed fields only, with the client id", func(t *testing.T) {
		if update.header["changeType"] != "UPDATE" {
			t.Errorf("changeType = %v", update.header["changeType"])
		}
		if got := update.header["changeOrigin"]; got != "com/salesforce/api/rest/62.0;client=ferry" {
			t.Errorf("changeOrigin = %v", got)
		}
		if want := []string{"Name.LastName", "Email", "LastModifiedDate"}; !reflect.DeepEqual(update.changed, want) {
			t.Errorf("changedFields = %v, want %v", update.changed, want)
		}
		if want := []string{"Email"}; !reflect.DeepEqual(update.nulled, want) {
			t.Errorf("nulledFields = %v, want %v", update.nulled, want)
		}
		if update.body["Company"] != nil {
			t.Errorf("unchanged Company = %v, want null", update.body["Company"])
		}
		name := unionValue(update.body["Name"]).(map[string]any)
		if unionValue(name["LastName"]) != "King" || name["FirstName"] != nil {
			t.Errorf("Name = %v", name)
		}
	})
	t.Run("delete has no fields", func(t *testing.T) {
		if del.header["changeType"] != "DELETE" {
			t.Errorf("changeType = %v", del.header["changeType"])
		}
		for k, v := range del.body {
			if v != nil {
				t.Errorf("%s = %v, want null", k, v)
			}
		}
	})
}

// doWithHeader is do with one extra request header.
func (p *psBundle) doWithHeader(method, path string, body any, key, value string) resp {
	p.t.Helper()
	return p.doHeader(p.token, method, path, body, map[string]string{key: value})
}

// keepAlive reads responses until an empty one (a keep-alive) arrives and
// returns it; events before it are returned too.
func (p *psBundle) keepAlive(st pubsubapi.PubSub_SubscribeClient) (*pubsubapi.FetchResponse, []event) {
	p.t.Helper()
	var evs []event
	for {
		res, err := st.Recv()
		if err != nil {
			p.t.Fatalf("waiting for a keep-alive: %v", err)
		}
		if len(res.GetEvents()) == 0 {
			return res, evs
		}
		for _, ce := range res.GetEvents() {
			evs = append(evs, p.decode(ce))
		}
	}
}

// subscribeReady subscribes and waits for the first keep-alive, which
// proves the server set the subscription up (so LATEST is fixed).
func (p *psBundle) subscribeReady(req *pubsubapi.FetchRequest) pubsubapi.PubSub_SubscribeClient {
	p.t.Helper()
	p.sf.SetKeepAliveInterval(20 * time.Millisecond)
	st := p.subscribe(req)
	if _, evs := p.keepAlive(st); len(evs) > 0 {
		p.t.Fatalf("got %d events before the first keep-alive", len(evs))
	}
	return st
}

func replayOf(res *pubsubapi.FetchResponse) uint64 {
	return binary.BigEndian.Uint64(res.GetLatestReplayId())
}

func rb(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// leads loads n Leads without events' worth of REST calls and returns ids.
func (p *psBundle) leads(n int) []string {
	p.t.Helper()
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = map[string]any{"LastName": "Lead " + strconv.Itoa(i), "Company": "Co " + strconv.Itoa(i)}
	}
	ids, err := p.sf.LoadRecords("Lead", recs)
	if err != nil {
		p.t.Fatal(err)
	}
	return ids
}

func TestPubSubAuthentication(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	other := setup(t) // a second org: its token is not this org's
	good := map[string]string{"accesstoken": p.token, "instanceurl": p.srv.URL, "tenantid": p.sf.OrgID()}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		md   map[string]string
	}{
		{"no access token", with("accesstoken", "")},
		{"unknown access token", with("accesstoken", "00DFy0000000Fry!bogus")},
		{"another org's token", with("accesstoken", other.token)},
		{"no instance url", with("instanceurl", "")},
		{"instance url that is not a URL", with("instanceurl", "my org")},
		{"no tenant id", with("tenantid", "")},
		{"another tenant id", with("tenantid", "00DFy0000000Xyz")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var kv []string
			for k, v := range tt.md {
				kv = append(kv, k, v)
			}
			ctx := metadata.AppendToOutgoingContext(t.Context(), kv...)
			var trailer metadata.MD
			_, err := p.client.GetTopic(ctx, &pubsubapi.TopicRequest{TopicName: "/data/LeadChangeEvent"}, grpc.Trailer(&trailer))
			if status.Code(err) != codes.Unauthenticated || errorCode(trailer) != salesforce.ErrCodeAuth {
				t.Fatalf("GetTopic: %v, error-code %q", err, errorCode(trailer))
			}
			if !rpcIDSuffix.MatchString(status.Convert(err).Message()) {
				t.Errorf("message %q does not end with the rpc id", status.Convert(err).Message())
			}
			st, err := p.client.Subscribe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_ = st.Send(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 1})
			if s, code := streamErr(t, st); s.Code() != codes.Unauthenticated || code != salesforce.ErrCodeAuth {
				t.Fatalf("Subscribe: %v, error-code %q", s, code)
			}
		})
	}
	t.Run("a 15-character tenant id is the org's id too", func(t *testing.T) {
		ctx := metadata.AppendToOutgoingContext(t.Context(), "accesstoken", p.token, "instanceurl", p.srv.URL, "tenantid", p.sf.OrgID()[:15])
		if _, err := p.client.GetTopic(ctx, &pubsubapi.TopicRequest{TopicName: "/data/LeadChangeEvent"}); err != nil {
			t.Fatal(err)
		}
	})
}

var rpcIDSuffix = regexp.MustCompile(` rpcId: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestPubSubTokenRevokedEndsStream(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	st := p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 10})
	p.sf.RevokeAllTokens()
	if s, code := streamErr(t, st); s.Code() != codes.Unauthenticated || code != salesforce.ErrCodeAuth {
		t.Fatalf("after revocation: %v, error-code %q", s, code)
	}
}

func TestPubSubTopics(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	ctx := p.authCtx(p.token)
	t.Run("an object's topic has its schema", func(t *testing.T) {
		info, err := p.client.GetTopic(ctx, &pubsubapi.TopicRequest{TopicName: "/data/LeadChangeEvent"})
		if err != nil {
			t.Fatal(err)
		}
		if info.GetTopicName() != "/data/LeadChangeEvent" || info.GetTenantGuid() != p.sf.OrgID() || !info.GetCanSubscribe() || info.GetCanPublish() || info.GetRpcId() == "" {
			t.Errorf("TopicInfo = %v", info)
		}
		sc, err := p.client.GetSchema(ctx, &pubsubapi.SchemaRequest{SchemaId: info.GetSchemaId()})
		if err != nil {
			t.Fatal(err)
		}
		fields, err := pubsubapi.SchemaFields(sc.GetSchemaJson())
		if err != nil {
			t.Fatal(err)
		}
		if fields[0].Name != "ChangeEventHeader" || fields[1].Name != "Name" || !reflect.DeepEqual(fields[1].Children, []string{"Salutation", "FirstName", "LastName"}) {
			t.Errorf("fields start %+v %+v", fields[0], fields[1])
		}
		if !strings.Contains(sc.GetSchemaJson(), `"name":"LeadChangeEvent","namespace":"com.sforce.eventbus"`) {
			t.Errorf("schema %s", sc.GetSchemaJson())
		}
	})
	t.Run("all change events", func(t *testing.T) {
		info, err := p.client.GetTopic(ctx, &pubsubapi.TopicRequest{TopicName: "/data/ChangeEvents"})
		if err != nil || !info.GetCanSubscribe() {
			t.Fatalf("GetTopic: %v %v", info, err)
		}
	})
	for _, name := range []string{"/data/leadchangeevent", "/data/ProfileChangeEvent", "/data/NopeChangeEvent", "/event/Lead", "LeadChangeEvent"} {
		t.Run("not found: "+name, func(t *testing.T) {
			var trailer metadata.MD
			_, err := p.client.GetTopic(ctx, &pubsubapi.TopicRequest{TopicName: name}, grpc.Trailer(&trailer))
			if status.Code(err) != codes.NotFound || errorCode(trailer) != salesforce.ErrCodeTopicNotFound {
				t.Fatalf("GetTopic: %v, error-code %q", err, errorCode(trailer))
			}
			if !strings.Contains(status.Convert(err).Message(), "topic "+name+" not found") {
				t.Errorf("message %q", status.Convert(err).Message())
			}
			st := p.subscribe(&pubsubapi.FetchRequest{TopicName: name, NumRequested: 1})
			if s, code := streamErr(t, st); s.Code() != codes.NotFound || code != salesforce.ErrCodeTopicNotFound {
				t.Fatalf("Subscribe: %v, error-code %q", s, code)
			}
		})
	}
	t.Run("unknown schema", func(t *testing.T) {
		_, err := p.client.GetSchema(ctx, &pubsubapi.SchemaRequest{SchemaId: "nope"})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("GetSchema: %v", err)
		}
	})
	t.Run("publishing is not offered", func(t *testing.T) {
		_, err := p.client.Publish(ctx, &pubsubapi.PublishRequest{TopicName: "/data/LeadChangeEvent"})
		if status.Code(err) != codes.Unimplemented {
			t.Fatalf("Publish: %v", err)
		}
	})
}

func TestPubSubChangeDataCaptureDisabled(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	ctx := p.authCtx(p.token)
	open := p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/ContactChangeEvent", NumRequested: 10})
	all := p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/ChangeEvents", NumRequested: 10})
	if err := p.sf.SetChangeEventsEnabled("Contact", false); err != nil {
		t.Fatal(err)
	}
	t.Run("an open stream on the topic ends with NOT_FOUND", func(t *testing.T) {
		if s, code := streamErr(t, open); s.Code() != codes.NotFound || code != salesforce.ErrCodeTopicNotFound {
			t.Fatalf("%v, error-code %q", s, code)
		}
	})
	t.Run("the topic is not found", func(t *testing.T) {
		if _, err := p.client.GetTopic(ctx, &pubsubapi.TopicRequest{TopicName: "/data/ContactChangeEvent"}); status.Code(err) != codes.NotFound {
			t.Fatalf("GetTopic: %v", err)
		}
	})
	t.Run("setup lists it as not selected", func(t *testing.T) {
		if objs := p.sf.ChangeEventObjects(); indexOf(objs, "Contact") >= 0 || indexOf(objs, "Lead") < 0 {
			t.Errorf("ChangeEventObjects = %v", objs)
		}
		r := p.control(http.MethodGet, "/__emulator/change-events", nil)
		if objs := r.Obj(t)["objects"].(map[string]any); objs["Contact"] != false || objs["Lead"] != true {
			t.Errorf("control status objects = %v", objs)
		}
	})
	t.Run("its writes publish nothing", func(t *testing.T) {
		p.create("Contact", map[string]any{"LastName": "Unseen"})
		lead := p.create("Lead", map[string]any{"LastName": "Seen", "Company": "C"})
		evs, _ := p.receive(all, 1)
		if evs[0].header["entityName"] != "Lead" || evs[0].ids()[0] != lead {
			t.Errorf("first event after disabling Contact: %v", evs[0].header)
		}
	})
	t.Run("enabled again, it publishes", func(t *testing.T) {
		if r := p.control(http.MethodPost, "/__emulator/change-events/objects", map[string]any{"object": "Contact", "enabled": true}); r.Status != http.StatusNoContent {
			t.Fatalf("control: %d %s", r.Status, r.Body)
		}
		id := p.create("Contact", map[string]any{"LastName": "Seen"})
		evs, _ := p.receive(all, 1)
		if evs[0].header["entityName"] != "Contact" || evs[0].ids()[0] != id {
			t.Errorf("event: %v", evs[0].header)
		}
	})
	t.Run("objects without Change Data Capture are refused", func(t *testing.T) {
		if err := p.sf.SetChangeEventsEnabled("Profile", true); err == nil {
			t.Error("Profile accepted")
		}
	})
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestPubSubReplayPresets(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	ids := []string{p.create("Lead", map[string]any{"LastName": "A", "Company": "C"}), p.create("Lead", map[string]any{"LastName": "B", "Company": "C"}), p.create("Lead", map[string]any{"LastName": "C", "Company": "C"})}
	var replays []uint64
	t.Run("EARLIEST starts at the oldest retained event", func(t *testing.T) {
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_EARLIEST, NumRequested: 10})
		evs, _ := p.receive(st, 3)
		for i, e := range evs {
			if e.ids()[0] != ids[i] {
				t.Errorf("event %d is %v, want %s", i, e.ids(), ids[i])
			}
			replays = append(replays, e.replay)
		}
	})
	if len(replays) != 3 {
		t.FailNow()
	}
	t.Run("CUSTOM starts after the given replay id", func(t *testing.T) {
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_CUSTOM, ReplayId: rb(replays[0]), NumRequested: 10})
		evs, _ := p.receive(st, 2)
		if evs[0].replay != replays[1] || evs[1].replay != replays[2] {
			t.Errorf("replays %d %d, want %d %d", evs[0].replay, evs[1].replay, replays[1], replays[2])
		}
	})
	t.Run("LATEST gets only new events; keep-alives carry the latest replay id", func(t *testing.T) {
		st := p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 10})
		ka, _ := p.keepAlive(st)
		if replayOf(ka) != replays[2] || ka.GetPendingNumRequested() != 10 || ka.GetRpcId() == "" {
			t.Errorf("keep-alive: latest %d pending %d, want %d 10", replayOf(ka), ka.GetPendingNumRequested(), replays[2])
		}
		id := p.create("Lead", map[string]any{"LastName": "D", "Company": "C"})
		evs, res := p.receive(st, 1)
		if evs[0].ids()[0] != id || replayOf(res) != evs[0].replay || res.GetPendingNumRequested() != 9 {
			t.Errorf("event %v, latest %d, pending %d", evs[0].ids(), replayOf(res), res.GetPendingNumRequested())
		}
	})
	t.Run("CUSTOM at the latest replay id waits for new events", func(t *testing.T) {
		latest := p.sf.LatestReplayID()
		p.sf.SetKeepAliveInterval(20 * time.Millisecond)
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_CUSTOM, ReplayId: rb(latest), NumRequested: 10})
		if ka, evs := p.keepAlive(st); len(evs) > 0 || replayOf(ka) != latest {
			t.Errorf("got %d events, keep-alive latest %d", len(evs), replayOf(ka))
		}
	})
	bad := []struct {
		name string
		id   []byte
		code string
	}{
		{"CUSTOM without a replay id", nil, salesforce.ErrCodeReplayInvalid},
		{"a replay id of 4 bytes", []byte{0, 0, 0, 1}, salesforce.ErrCodeReplayCorrupted},
		{"a replay id past the newest event", rb(1 << 40), salesforce.ErrCodeReplayCorrupted},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_CUSTOM, ReplayId: tt.id, NumRequested: 10})
			if s, code := streamErr(t, st); s.Code() != codes.InvalidArgument || code != tt.code {
				t.Fatalf("%v, error-code %q", s, code)
			}
		})
	}
	t.Run("replay ids forced corrupted, as after an org migration", func(t *testing.T) {
		if r := p.control(http.MethodPost, "/__emulator/change-events/settings", map[string]any{"replayIdsCorrupted": true}); r.Status != http.StatusNoContent {
			t.Fatalf("control: %d %s", r.Status, r.Body)
		}
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_CUSTOM, ReplayId: rb(replays[1]), NumRequested: 10})
		if s, code := streamErr(t, st); s.Code() != codes.InvalidArgument || code != salesforce.ErrCodeReplayCorrupted {
			t.Fatalf("%v, error-code %q", s, code)
		}
		p.sf.SetReplayIDsCorrupted(false)
		st = p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_CUSTOM, ReplayId: rb(replays[1]), NumRequested: 1})
		if evs, _ := p.receive(st, 1); evs[0].replay != replays[2] {
			t.Fatalf("after turning it off: replay %d", evs[0].replay)
		}
	})
	t.Run("a later FetchRequest for another topic", func(t *testing.T) {
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 1})
		if err := st.Send(&pubsubapi.FetchRequest{TopicName: "/data/ContactChangeEvent", NumRequested: 1}); err != nil {
			t.Fatal(err)
		}
		if s, _ := streamErr(t, st); s.Code() != codes.InvalidArgument {
			t.Fatalf("%v", s)
		}
	})
}

func TestPubSubRetention(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	p.create("Lead", map[string]any{"LastName": "Old", "Company": "C"})
	old := p.sf.LatestReplayID()
	p.clock.Advance(71 * time.Hour)
	p.token = p.passwordToken() // sessions last 2 hours
	p.create("Lead", map[string]any{"LastName": "Newer", "Company": "C"})
	st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_CUSTOM, ReplayId: rb(old - 1), NumRequested: 10})
	if evs, _ := p.receive(st, 2); unionValue(unionValue(evs[0].body["Name"]).(map[string]any)["LastName"]) != "Old" {
		t.Fatalf("within 72 hours: %v", evs[0].body)
	}
	p.clock.Advance(2 * time.Hour) // the first event is now 73 hours old
	p.token = p.passwordToken()
	p.create("Lead", map[string]any{"LastName": "Newest", "Company": "C"})
	t.Run("a replay id older than the retention is corrupted", func(t *testing.T) {
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_CUSTOM, ReplayId: rb(old - 1), NumRequested: 10})
		if s, code := streamErr(t, st); s.Code() != codes.InvalidArgument || code != salesforce.ErrCodeReplayCorrupted {
			t.Fatalf("%v, error-code %q", s, code)
		}
	})
	t.Run("EARLIEST starts after the evicted events", func(t *testing.T) {
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_EARLIEST, NumRequested: 10})
		if evs, _ := p.receive(st, 1); evs[0].replay != old+1 {
			t.Fatalf("first replay %d, want %d", evs[0].replay, old+1)
		}
	})
	t.Run("a shorter retention evicts at once", func(t *testing.T) {
		p.sf.SetEventRetention(time.Hour)
		if got := p.sf.ChangeEventStatus().Events; got != 1 {
			t.Fatalf("retained %d events, want 1", got)
		}
	})
	t.Run("evicting all makes a stream behind them fail", func(t *testing.T) {
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_EARLIEST, NumRequested: 0})
		p.sf.SetKeepAliveInterval(20 * time.Millisecond)
		p.keepAlive(st)
		r := p.control(http.MethodPost, "/__emulator/change-events/evict", map[string]any{})
		if r.Status != http.StatusOK || r.Obj(t)["evicted"] != 1.0 {
			t.Fatalf("evict: %d %s", r.Status, r.Body)
		}
		if s, code := streamErr(t, st); s.Code() != codes.InvalidArgument || code != salesforce.ErrCodeReplayCorrupted {
			t.Fatalf("%v, error-code %q", s, code)
		}
	})
}

func TestPubSubFlowControl(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	p.leads(250)
	p.sf.SetKeepAliveInterval(20 * time.Millisecond)
	st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_EARLIEST, NumRequested: 500})
	var got []event
	var pendings []int32
	for len(got) < 100 {
		res, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		for _, ce := range res.GetEvents() {
			got = append(got, p.decode(ce))
		}
		if len(res.GetEvents()) > 0 {
			pendings = append(pendings, res.GetPendingNumRequested())
		}
	}
	t.Run("a request for 500 counts as 100", func(t *testing.T) {
		if len(got) != 100 || pendings[len(pendings)-1] != 0 {
			t.Fatalf("got %d events, pending %v", len(got), pendings)
		}
		ka, evs := p.keepAlive(st)
		if len(evs) > 0 || ka.GetPendingNumRequested() != 0 || replayOf(ka) != got[99].replay {
			t.Fatalf("after the credit: %d more events, keep-alive pending %d latest %d", len(evs), ka.GetPendingNumRequested(), replayOf(ka))
		}
	})
	t.Run("more credit delivers exactly that many", func(t *testing.T) {
		if err := st.Send(&pubsubapi.FetchRequest{NumRequested: 30}); err != nil {
			t.Fatal(err)
		}
		evs, res := p.receive(st, 30)
		if len(evs) != 30 || res.GetPendingNumRequested() != 0 || evs[0].replay != got[99].replay+1 {
			t.Fatalf("%d events, pending %d", len(evs), res.GetPendingNumRequested())
		}
		if _, more := p.keepAlive(st); len(more) > 0 {
			t.Fatalf("%d events past the credit", len(more))
		}
	})
	t.Run("outstanding credit adds up to 100 at most", func(t *testing.T) {
		idle := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/CaseChangeEvent", NumRequested: 60})
		for range 2 {
			if err := idle.Send(&pubsubapi.FetchRequest{NumRequested: 60}); err != nil {
				t.Fatal(err)
			}
		}
		for {
			ka, _ := p.keepAlive(idle)
			if n := ka.GetPendingNumRequested(); n > 100 {
				t.Fatalf("pending_num_requested %d", n)
			} else if n == 100 {
				break
			}
		}
	})
}

func TestPubSubGrouping(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	ids := p.leads(200)
	st := p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/ChangeEvents", NumRequested: 100})
	coll := func(method, path string, body any) {
		t.Helper()
		r := p.doWithHeader(method, v+path, body, "Sforce-Call-Options", "client=ferry")
		if r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
	}
	records := func(ids []string, f func(i int) map[string]any) []map[string]any {
		out := make([]map[string]any, len(ids))
		for i, id := range ids {
			out[i] = f(i)
			out[i]["attributes"] = map[string]any{"type": "Lead"}
			out[i]["Id"] = id
		}
		return out
	}
	t.Run("200 updates with equal changes are one event", func(t *testing.T) {
		coll(http.MethodPatch, "/composite/sobjects", map[string]any{"records": records(ids, func(int) map[string]any {
			return map[string]any{"Status": "Working - Contacted"}
		})})
		evs, _ := p.receive(st, 1)
		if got := evs[0].ids(); !reflect.DeepEqual(got, ids) {
			t.Fatalf("recordIds has %d ids, want the 200 in order", len(got))
		}
		if !reflect.DeepEqual(evs[0].changed, []string{"Status", "LastModifiedDate"}) || evs[0].header["sequenceNumber"] != 1 {
			t.Errorf("changed %v, header %v", evs[0].changed, evs[0].header)
		}
	})
	t.Run("two different changes in one call are two events of one transaction", func(t *testing.T) {
		coll(http.MethodPatch, "/composite/sobjects", map[string]any{"records": records(ids[:100], func(i int) map[string]any {
			return map[string]any{"Rating": []string{"Hot", "Cold"}[i%2]}
		})})
		evs, _ := p.receive(st, 2)
		if len(evs[0].ids()) != 50 || len(evs[1].ids()) != 50 {
			t.Fatalf("events of %d and %d ids", len(evs[0].ids()), len(evs[1].ids()))
		}
		if evs[0].header["transactionKey"] != evs[1].header["transactionKey"] || evs[0].header["sequenceNumber"] != 1 || evs[1].header["sequenceNumber"] != 2 {
			t.Errorf("headers %v / %v", evs[0].header, evs[1].header)
		}
		if evs[0].ids()[0] != ids[0] || evs[1].ids()[0] != ids[1] {
			t.Errorf("first ids %s %s", evs[0].ids()[0], evs[1].ids()[0])
		}
	})
	t.Run("different values are separate events", func(t *testing.T) {
		coll(http.MethodPatch, "/composite/sobjects", map[string]any{"records": records(ids[:3], func(i int) map[string]any {
			return map[string]any{"Title": "T" + strconv.Itoa(i)}
		})})
		evs, _ := p.receive(st, 3)
		for i, e := range evs {
			if !reflect.DeepEqual(e.ids(), []string{ids[i]}) || e.header["sequenceNumber"] != int32(i+1) && e.header["sequenceNumber"] != i+1 {
				t.Errorf("event %d: %v", i, e.header)
			}
		}
	})
	t.Run("a collections delete is one event", func(t *testing.T) {
		r := p.doWithHeader(http.MethodDelete, v+"/composite/sobjects?ids="+strings.Join(ids[150:], ","), nil, "Sforce-Call-Options", "client=ferry")
		if r.Status != http.StatusOK {
			t.Fatal(r.Status)
		}
		evs, _ := p.receive(st, 1)
		if evs[0].header["changeType"] != "DELETE" || !reflect.DeepEqual(evs[0].ids(), ids[150:]) {
			t.Errorf("event %v", evs[0].header)
		}
	})
	t.Run("a composite request is one transaction across objects", func(t *testing.T) {
		r := p.do(http.MethodPost, v+"/composite", map[string]any{"allOrNone": true, "compositeRequest": []any{
			map[string]any{"method": "POST", "url": v + "/sobjects/Account", "referenceId": "acct", "body": map[string]any{"Name": "Acme"}},
			map[string]any{"method": "POST", "url": v + "/sobjects/Contact", "referenceId": "ct", "body": map[string]any{"LastName": "Doe", "AccountId": "@{acct.id}"}},
		}})
		if r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		evs, _ := p.receive(st, 2)
		if evs[0].header["entityName"] != "Account" || evs[1].header["entityName"] != "Contact" || evs[0].header["transactionKey"] != evs[1].header["transactionKey"] {
			t.Errorf("headers %v / %v", evs[0].header, evs[1].header)
		}
		if evs[0].header["changeOrigin"] != "com/salesforce/api/rest/62.0" {
			t.Errorf("changeOrigin %v", evs[0].header["changeOrigin"])
		}
	})
	t.Run("a rolled-back request publishes nothing", func(t *testing.T) {
		r := p.do(http.MethodPost, v+"/composite/sobjects", map[string]any{"allOrNone": true, "records": []any{
			map[string]any{"attributes": map[string]any{"type": "Lead"}, "LastName": "Ok", "Company": "C"},
			map[string]any{"attributes": map[string]any{"type": "Lead"}, "Company": "no last name"},
		}})
		if r.Status != http.StatusOK {
			t.Fatal(r.Status)
		}
		// The next event is the UI update below, not the rolled-back create.
		if err := p.sf.UpdateRecord("Lead", ids[0], map[string]any{"Title": "After"}); err != nil {
			t.Fatal(err)
		}
		evs, _ := p.receive(st, 1)
		if evs[0].header["changeType"] != "UPDATE" || evs[0].ids()[0] != ids[0] {
			t.Errorf("event %v", evs[0].header)
		}
		t.Run("a UI change has no origin and the login user", func(t *testing.T) {
			if evs[0].header["changeOrigin"] != "" || evs[0].header["commitUser"] != p.sf.LoginUserID() {
				t.Errorf("header %v", evs[0].header)
			}
		})
	})
}

func TestPubSubUIChanges(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	st := p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/ChangeEvents", NumRequested: 100})
	lead := p.create("Lead", map[string]any{"FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical"})
	p.receive(st, 1)
	t.Run("lead conversion is one transaction", func(t *testing.T) {
		if _, err := p.sf.ConvertLead(salesforce.LeadConvert{LeadID: lead}); err != nil {
			t.Fatal(err)
		}
		evs, _ := p.receive(st, 5)
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.header["entityName"].(string)+" "+e.header["changeType"].(string))
			if e.header["transactionKey"] != evs[0].header["transactionKey"] {
				t.Errorf("transaction keys differ: %v", e.header)
			}
		}
		want := []string{"Account CREATE", "Contact CREATE", "Opportunity CREATE", "OpportunityContactRole CREATE", "Lead UPDATE"}
		if !reflect.DeepEqual(kinds, want) {
			t.Errorf("events %v, want %v", kinds, want)
		}
	})
	t.Run("a cascading delete is one event per object", func(t *testing.T) {
		acct := p.create("Account", map[string]any{"Name": "Parent"})
		c1 := p.create("Contact", map[string]any{"LastName": "One", "AccountId": acct})
		c2 := p.create("Contact", map[string]any{"LastName": "Two", "AccountId": acct})
		p.receive(st, 3)
		if err := p.sf.DeleteRecord("Account", acct); err != nil {
			t.Fatal(err)
		}
		evs, _ := p.receive(st, 2)
		got := map[string][]string{}
		for _, e := range evs {
			if e.header["changeType"] != "DELETE" {
				t.Errorf("header %v", e.header)
			}
			got[e.header["entityName"].(string)] = e.ids()
		}
		if want := map[string][]string{"Account": {acct}, "Contact": {c1, c2}}; !reflect.DeepEqual(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
	t.Run("delete and undelete", func(t *testing.T) {
		id := p.create("Case", map[string]any{"Subject": "Broken"})
		if err := p.sf.DeleteRecord("Case", id); err != nil {
			t.Fatal(err)
		}
		if r := p.control(http.MethodPost, "/__emulator/records/Case/"+id+"/undelete", nil); r.Status != http.StatusNoContent {
			t.Fatalf("undelete: %d %s", r.Status, r.Body)
		}
		evs, _ := p.receive(st, 3)
		for i, kind := range []string{"CREATE", "DELETE", "UNDELETE"} {
			if evs[i].header["changeType"] != kind || evs[i].ids()[0] != id {
				t.Errorf("event %d: %v", i, evs[i].header)
			}
		}
		if unionValue(evs[2].body["Subject"]) != "Broken" {
			t.Errorf("UNDELETE body %v", evs[2].body)
		}
		if err := p.sf.UndeleteRecord("Case", id); err == nil {
			t.Error("undeleting a live record succeeded")
		}
	})
	t.Run("a new custom field makes a new schema", func(t *testing.T) {
		id := p.create("Contact", map[string]any{"LastName": "Before"})
		if err := p.sf.AddField(salesforce.FieldSpec{Object: "Contact", Name: "Tier__c", Type: "text"}); err != nil {
			t.Fatal(err)
		}
		if err := p.sf.UpdateRecord("Contact", id, map[string]any{"Tier__c": "Gold"}); err != nil {
			t.Fatal(err)
		}
		evs, _ := p.receive(st, 2)
		before, after := evs[0], evs[1]
		if before.replay == 0 || unionValue(after.body["Tier__c"]) != "Gold" || !reflect.DeepEqual(after.changed, []string{"LastModifiedDate", "Tier__c"}) {
			t.Errorf("after: %v changed %v", after.body["Tier__c"], after.changed)
		}
		if _, ok := before.body["Tier__c"]; ok {
			t.Error("the event before the field was added has it")
		}
	})
}

func TestPubSubSchemaIDIsStable(t *testing.T) {
	t.Parallel()
	id := func() string {
		p := setupPubSub(t)
		info, err := p.client.GetTopic(p.authCtx(p.token), &pubsubapi.TopicRequest{TopicName: "/data/LeadChangeEvent"})
		if err != nil {
			t.Fatal(err)
		}
		return info.GetSchemaId()
	}
	a, b := id(), id()
	if a != b || len(a) != 22 {
		t.Fatalf("schema ids %q and %q", a, b)
	}
}

func TestPubSubGapEvents(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	ids := p.leads(2)
	st := p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 10})
	if err := p.sf.InjectGapEvent("Lead", salesforce.ChangeGapUpdate, ids); err != nil {
		t.Fatal(err)
	}
	r := p.control(http.MethodPost, "/__emulator/change-events/gap", map[string]any{"object": "Lead", "changeType": "GAP_OVERFLOW"})
	if r.Status != http.StatusNoContent {
		t.Fatalf("control: %d %s", r.Status, r.Body)
	}
	evs, _ := p.receive(st, 2)
	t.Run("a gap event has record ids and no fields", func(t *testing.T) {
		if evs[0].header["changeType"] != "GAP_UPDATE" || !reflect.DeepEqual(evs[0].ids(), ids) || len(evs[0].changed) != 0 {
			t.Errorf("header %v", evs[0].header)
		}
		for k, v := range evs[0].body {
			if v != nil {
				t.Errorf("%s = %v", k, v)
			}
		}
	})
	t.Run("an overflow event names the object only", func(t *testing.T) {
		if evs[1].header["changeType"] != "GAP_OVERFLOW" || len(evs[1].ids()) != 0 || evs[1].header["entityName"] != "Lead" {
			t.Errorf("header %v", evs[1].header)
		}
	})
	for _, bad := range []struct {
		name, object, kind string
		ids                []string
	}{
		{"gap without ids", "Lead", "GAP_CREATE", nil},
		{"overflow with ids", "Lead", "GAP_OVERFLOW", ids},
		{"unknown change type", "Lead", "UPDATE", ids},
		{"another object's id", "Contact", "GAP_DELETE", ids},
		{"object without Change Data Capture", "Profile", "GAP_OVERFLOW", nil},
	} {
		t.Run("refused: "+bad.name, func(t *testing.T) {
			if err := p.sf.InjectGapEvent(bad.object, bad.kind, bad.ids); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestPubSubDeliveryAllocation(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	p.sf.SetDeliveryAllocation(3)
	p.leads(5)
	st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_EARLIEST, NumRequested: 10})
	var n int
	s, code := func() (*status.Status, string) {
		for {
			res, err := st.Recv()
			if err != nil {
				return status.Convert(err), errorCode(st.Trailer())
			}
			n += len(res.GetEvents())
		}
	}()
	if n != 3 || s.Code() != codes.ResourceExhausted || code != salesforce.ErrCodeLimitExceeded {
		t.Fatalf("%d events then %v, error-code %q", n, s, code)
	}
	if got := p.sf.DeliveredEvents(); got != 3 {
		t.Errorf("DeliveredEvents = %d", got)
	}
	t.Run("the limits resource shows the allocation", func(t *testing.T) {
		r := p.do(http.MethodGet, v+"/limits", nil)
		got := r.Obj(t)["DailyDeliveredPlatformEvents"].(map[string]any)
		if got["Max"] != 3.0 || got["Remaining"] != 0.0 {
			t.Errorf("DailyDeliveredPlatformEvents = %v", got)
		}
	})
	t.Run("a new stream is refused at once", func(t *testing.T) {
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 10})
		if s, code := streamErr(t, st); code != salesforce.ErrCodeLimitExceeded {
			t.Fatalf("%v, error-code %q", s, code)
		}
	})
	t.Run("24 hours later the allocation is back", func(t *testing.T) {
		p.clock.Advance(24*time.Hour + time.Second)
		p.token = p.passwordToken() // sessions last 2 hours
		st := p.subscribe(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_EARLIEST, NumRequested: 2})
		if evs, _ := p.receive(st, 2); len(evs) != 2 {
			t.Fatalf("%d events", len(evs))
		}
	})
}

func TestPubSubCloseStreams(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	st := p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 10})
	if r := p.control(http.MethodPost, "/__emulator/change-events/close-streams", nil); r.Status != http.StatusNoContent {
		t.Fatalf("control: %d %s", r.Status, r.Body)
	}
	if s, code := streamErr(t, st); s.Code() != codes.Unavailable || code != salesforce.ErrCodeUnavailable {
		t.Fatalf("%v, error-code %q", s, code)
	}
	t.Run("a new stream works", func(t *testing.T) {
		p.subscribeReady(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 10})
	})
}

func TestPubSubControlSettings(t *testing.T) {
	t.Parallel()
	p := setupPubSub(t)
	r := p.control(http.MethodPost, "/__emulator/change-events/settings", map[string]any{"retentionSeconds": 3600, "deliveryAllocation": 7, "keepAliveMs": 1500})
	if r.Status != http.StatusNoContent {
		t.Fatalf("settings: %d %s", r.Status, r.Body)
	}
	got := p.sf.ChangeEventStatus()
	if got.RetentionSeconds != 3600 || got.DeliveryAllocation != 7 || got.KeepAliveMs != 1500 {
		t.Errorf("status %+v", got)
	}
	for _, bad := range []map[string]any{{"retentionSeconds": 0}, {"deliveryAllocation": -1}, {"keepAliveSeconds": -5}} {
		if r := p.control(http.MethodPost, "/__emulator/change-events/settings", bad); r.Status != http.StatusBadRequest {
			t.Errorf("%v: %d", bad, r.Status)
		}
	}
}
