package salesforce_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce/pubsubapi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

const benchEvents = 10_000

// BenchmarkPubSubStream measures how fast the Pub/Sub API streams change
// events over loopback gRPC to a client that keeps its credit topped up
// (a FetchRequest for what each response delivered), as subscribers do.
// Each iteration replays the same 10,000 retained CREATE events.
func BenchmarkPubSubStream(b *testing.B) {
	pb := newBenchPubSub(b, benchEvents)
	client, ctx := pb.client, pb.ctx
	var bytes int64
	b.ResetTimer()
	for b.Loop() {
		sctx, cancel := context.WithCancel(ctx)
		st, err := client.Subscribe(sctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Send(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", ReplayPreset: pubsubapi.ReplayPreset_EARLIEST, NumRequested: 100}); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < benchEvents; {
			res, err := st.Recv()
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range res.GetEvents() {
				bytes += int64(len(e.GetEvent().GetPayload()))
			}
			n += len(res.GetEvents())
			if k := len(res.GetEvents()); k > 0 {
				if err := st.Send(&pubsubapi.FetchRequest{NumRequested: int32(k)}); err != nil {
					b.Fatal(err)
				}
			}
		}
		cancel()
	}
	b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(bytes)/float64(benchEvents*b.N), "payload-bytes/event")
}

// BenchmarkPubSubLatency measures the time from a REST update being
// sent to its change event arriving at a subscriber over loopback gRPC,
// one update at a time, and reports the p50 and p99.
func BenchmarkPubSubLatency(b *testing.B) {
	pb := newBenchPubSub(b, 1)
	pb.sf.SetKeepAliveInterval(20 * time.Millisecond)
	srv, token, ids := pb.srv, pb.token, pb.ids
	ctx, cancel := context.WithCancel(pb.ctx)
	defer cancel()
	st, err := pb.client.Subscribe(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Send(&pubsubapi.FetchRequest{TopicName: "/data/LeadChangeEvent", NumRequested: 100}); err != nil {
		b.Fatal(err)
	}
	for { // the first keep-alive: the subscription is set up
		res, err := st.Recv()
		if err != nil {
			b.Fatal(err)
		}
		if len(res.GetEvents()) == 0 {
			break
		}
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body := strings.NewReader(fmt.Sprintf(`{"Title":"T%d"}`, i))
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/services/data/v62.0/sobjects/Lead/"+ids[0], body)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		res, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		for got := false; !got; {
			fr, err := st.Recv()
			if err != nil {
				b.Fatal(err)
			}
			if n := len(fr.GetEvents()); n > 0 {
				got = true
				if err := st.Send(&pubsubapi.FetchRequest{NumRequested: int32(n)}); err != nil {
					b.Fatal(err)
				}
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// benchPubSub is an org with n Leads, its REST API behind a loopback HTTP
// server and its Pub/Sub API on loopback gRPC, with a client and a context
// carrying the auth metadata.
type benchPubSub struct {
	sf     *salesforce.Server
	srv    *httptest.Server
	token  string
	ids    []string
	client pubsubapi.PubSubClient
	ctx    context.Context
}

func newBenchPubSub(b *testing.B, n int) *benchPubSub {
	b.Helper()
	sf := newBenchOrg(b)
	addr, err := sf.StartPubSub("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sf.StopPubSub)
	sf.SetDeliveryAllocation(1 << 40)
	ids, err := sf.LoadRecords("Lead", benchRecords(n))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sf)
	b.Cleanup(srv.Close)
	token := benchToken(b, srv)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	ctx := metadata.AppendToOutgoingContext(context.Background(), "accesstoken", token, "instanceurl", srv.URL, "tenantid", sf.OrgID())
	return &benchPubSub{sf: sf, srv: srv, token: token, ids: ids, client: pubsubapi.NewPubSubClient(conn), ctx: ctx}
}

// benchToken gets an access token with the password grant.
func benchToken(b *testing.B, srv *httptest.Server) string {
	b.Helper()
	res, err := srv.Client().PostForm(srv.URL+"/services/oauth2/token", url.Values{"grant_type": {"password"},
		"client_id": {salesforce.DefaultClientID}, "client_secret": {salesforce.DefaultClientSecret},
		"username": {salesforce.DefaultUsername}, "password": {salesforce.DefaultPassword}})
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil {
		b.Fatal(err)
	}
	return tok.AccessToken
}

// BenchmarkChangeEventCapture measures what recording change events costs a
// write: loading 10,000 Leads in one transaction with the Pub/Sub API off
// (nothing recorded) and on (10,000 events built and Avro-encoded).
func BenchmarkChangeEventCapture(b *testing.B) {
	recs := benchRecords(benchEvents)
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				sf := newBenchOrg(b)
				if on {
					if _, err := sf.StartPubSub("127.0.0.1:0", nil); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := sf.LoadRecords("Lead", recs); err != nil {
					b.Fatal(err)
				}
				sf.StopPubSub()
			}
			b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// newBenchOrg is an empty org that takes the bench records' custom field.
func newBenchOrg(b *testing.B) *salesforce.Server {
	b.Helper()
	sf := salesforce.New(salesforce.Options{APIDailyLimit: 1 << 30})
	if err := sf.AddField(salesforce.FieldSpec{Object: "Lead", Name: "Intercom_Id__c", Type: "string", ExternalID: true, Unique: true}); err != nil {
		b.Fatal(err)
	}
	return sf
}
