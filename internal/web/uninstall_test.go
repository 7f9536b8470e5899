package web_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// TestUninstallRevokesBothTokensAndPurges: disconnecting revokes the
// Intercom token too (it answered before), drops the connection's webhooks
// instead of queueing work for it, and a purge leaves no row of the
// connection in any table.
func TestUninstallRevokesBothTokensAndPurges(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			b := setupOn(t, e.URL(t))
			ctx := t.Context()
			b.connectSalesforce(t, b.connID)
			b.connectIntercomToken(t, b.connID)
			ic := intercom.New(intercom.Config{BaseURL: b.icURL, Token: icStaticToken})
			if _, err := ic.Me(ctx); err != nil {
				t.Fatalf("the Intercom token before disconnect: %v", err)
			}

			if res := b.admin(t, http.MethodPost, "/api/v1/connections/"+itoa(b.connID)+"/disconnect", `{"purge":false}`); res.status != http.StatusOK {
				t.Fatalf("disconnect: %d %s", res.status, res.body)
			}
			if _, err := ic.Me(ctx); !errors.Is(err, intercom.ErrUnauthorized) {
				t.Fatalf("the Intercom token after disconnect: %v, want 401", err)
			}
			jobsBefore := b.jobCount(t)
			if res := b.deliver(t, notification(b.ic.AppID(), "notif_after_uninstall", 1), icClientSecret); res.status != http.StatusOK {
				t.Fatalf("webhook after disconnect: %d %s", res.status, res.body)
			}
			if n := b.jobCount(t); n != jobsBefore {
				t.Fatalf("webhook after disconnect queued work: %d jobs, want %d", n, jobsBefore)
			}
			kept, err := b.store.CountConnectionRows(ctx, b.connID)
			if err != nil || kept["connections"] != 1 || kept["credentials"] != 0 {
				t.Fatalf("kept rows after disconnect = %v (%v), want the connection without credentials", kept, err)
			}

			// Connect again, then uninstall with purge.
			b.ic.AddToken(icStaticToken)
			b.connectSalesforce(t, b.connID)
			b.connectIntercomToken(t, b.connID)
			before, _ := b.store.CountConnectionRows(ctx, b.connID)
			if res := b.admin(t, http.MethodPost, "/api/v1/connections/"+itoa(b.connID)+"/disconnect", `{"purge":true}`); res.status != http.StatusOK {
				t.Fatalf("purge: %d %s", res.status, res.body)
			}
			left, err := b.store.CountConnectionRows(ctx, b.connID)
			if err != nil || len(left) != 0 {
				t.Fatalf("rows left after purge = %v (%v), want none", left, err)
			}
			if _, err := ic.Me(ctx); !errors.Is(err, intercom.ErrUnauthorized) {
				t.Fatalf("the Intercom token after purge: %v, want 401", err)
			}
			t.Logf("rows per table before purge: %v; after: %v", before, left)
		})
	}
}
