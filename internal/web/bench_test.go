package web_test

import (
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkWebhookIntake measures one signed Intercom notification through
// ferry's endpoint over loopback HTTP: verify, parse, store and enqueue in
// one SQLite transaction.
func BenchmarkWebhookIntake(b *testing.B) {
	bb := setup(b)
	bb.connectIntercomToken(b, bb.connID)
	app := bb.ic.AppID()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if res := bb.deliver(b, notification(app, fmt.Sprintf("notif_%d", i), 1), icClientSecret); res.status != http.StatusOK {
			b.Fatalf("delivery %d: %d %s", i, res.status, res.body)
		}
	}
}

// BenchmarkWebhookRedelivery measures acknowledging a notification already
// stored (Intercom's retries).
func BenchmarkWebhookRedelivery(b *testing.B) {
	bb := setup(b)
	bb.connectIntercomToken(b, bb.connID)
	body := notification(bb.ic.AppID(), "notif_again", 1)
	if res := bb.deliver(b, body, icClientSecret); res.status != http.StatusOK {
		b.Fatal(res.status)
	}
	b.ReportAllocs()
	for b.Loop() {
		if res := bb.deliver(b, body, icClientSecret); res.status != http.StatusOK {
			b.Fatal(res.status)
		}
	}
}

// BenchmarkGetConnection measures the admin API's connection status.
func BenchmarkGetConnection(b *testing.B) {
	bb := setup(b)
	bb.connectIntercomToken(b, bb.connID)
	b.ReportAllocs()
	for b.Loop() {
		if res := bb.admin(b, http.MethodGet, "/api/v1/connections/"+itoa(bb.connID), ""); res.status != http.StatusOK {
			b.Fatal(res.status)
		}
	}
}
