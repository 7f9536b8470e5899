package salesforce_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"reflect"
	"sort"
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

var _ = sort.Strings
var _ = strings.Contains
var _ = codes.OK
var _ = salesforce.AllChangeEventsTopic
