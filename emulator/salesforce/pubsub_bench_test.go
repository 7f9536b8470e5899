package salesforce_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"

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
	sf := newBenchOrg(b)
	addr, err := sf.StartPubSub("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sf.StopPubSub)
	sf.SetDeliveryAllocation(1 << 40)
	if _, err := sf.LoadRecords("Lead", benchRecords(benchEvents)); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sf)
	b.Cleanup(srv.Close)
	res, err := srv.Client().PostForm(srv.URL+"/services/oauth2/token", url.Values{"grant_type": {"password"},
		"client_id": {salesforce.DefaultClientID}, "client_secret": {salesforce.DefaultClientSecret},
		"username": {salesforce.DefaultUsername}, "password": {salesforce.DefaultPassword}})
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	client := pubsubapi.NewPubSubClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "accesstoken", tok.AccessToken, "instanceurl", srv.URL, "tenantid", sf.OrgID())
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
