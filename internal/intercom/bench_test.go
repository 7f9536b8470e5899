package intercom_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/intercom"
)

// BenchmarkWebhookIntake measures requests per second through the webhook
// handler over loopback HTTP, each with a valid signature and a realistic
// contact payload, parsed and handed to a sink.
func BenchmarkWebhookIntake(b *testing.B) {
	body := readSample(b, "contact_user_created_iso.json")
	sig := intercom.Sign(testSecret, body)
	var accepted atomic.Int64
	h := intercom.NewWebhookHandler(intercom.WebhookConfig{Secret: testSecret,
		Sink: intercom.SinkFunc(func(context.Context, *intercom.Event) error { accepted.Add(1); return nil })})
	srv := httptest.NewServer(h)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Hub-Signature", sig)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	if accepted.Load() != int64(b.N) {
		b.Fatalf("sink got %d of %d events", accepted.Load(), b.N)
	}
}

// BenchmarkSearchContactByEmail measures one search by exact email through
// the client against the emulator loaded with 200,000 contacts.
func BenchmarkSearchContactByEmail(b *testing.B) {
	const n = 200_000
	bb := setup(b, icemu.Options{RateLimit: 1 << 30}, intercom.Config{})
	seeds := make([]icemu.ContactSeed, n)
	for i := range seeds {
		seeds[i] = icemu.ContactSeed{Email: fmt.Sprintf("person%06d@bench%03d.test", i, i%500), Name: fmt.Sprintf("Person %d", i)}
	}
	if _, err := bb.emu.BulkLoadContacts(seeds); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		i := rng.IntN(n)
		email := fmt.Sprintf("person%06d@bench%03d.test", i, i%500)
		got, err := bb.client.FindContactByEmail(ctx, email)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 1 || got[0].Email != email {
			b.Fatalf("search %s: %d results", email, len(got))
		}
	}
}
