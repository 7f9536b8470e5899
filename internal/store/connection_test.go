package store_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// Every connection gets its own random Salesforce client id when it is
// created, kept as stored: the name ferry's Salesforce calls carry (F3.5)
// must not repeat across deployments nor change across restarts.
func TestConnectionSalesforceClientIsRandomAndKept(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		var other store.Connection
		if err := s.InTx(ctx, func(tx store.Tx) (err error) {
			other, err = tx.CreateConnection(ctx, store.Connection{Name: "b", SalesforceClient: "chosen"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		hex12 := regexp.MustCompile(`^[0-9a-f]{12}$`)
		if !hex12.MatchString(conn.SalesforceClient) || !hex12.MatchString(other.SalesforceClient) ||
			conn.SalesforceClient == other.SalesforceClient {
			t.Fatalf("client ids %q and %q, want two different ones of 12 hex digits", conn.SalesforceClient, other.SalesforceClient)
		}
		got, err := s.GetConnection(ctx, conn.ID)
		if err != nil || got.SalesforceClient != conn.SalesforceClient {
			t.Fatalf("read back %q (%v), want the stored %q", got.SalesforceClient, err, conn.SalesforceClient)
		}
		all, err := s.ListConnections(ctx)
		if err != nil || len(all) != 2 || all[1].SalesforceClient != other.SalesforceClient {
			t.Fatalf("listed %+v (%v)", all, err)
		}
	})
}
