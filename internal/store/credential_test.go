package store_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// TestCredentialsNeverPrinted formats credentials every way a log line
// might and looks for the token.
func TestCredentialsNeverPrinted(t *testing.T) {
	t.Parallel()
	const token = "00Dxx0000001gPL!AQ4AQLeakMe"
	sf := store.SalesforceToken{RefreshToken: token, AccessToken: token, InstanceURL: "https://acme.my.salesforce.com"}
	cred, err := store.SalesforceCredential(1, sf)
	if err != nil {
		t.Fatal(err)
	}
	ic := store.IntercomToken{AccessToken: token}
	for name, v := range map[string]any{"Credential": cred, "SalesforceToken": sf, "IntercomToken": ic} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			fmt.Fprintf(&buf, "%v %+v %#v %s\n", v, v, v, v)
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "v", v)
			slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "v", v)
			if strings.Contains(buf.String(), "LeakMe") {
				t.Fatalf("token printed:\n%s", buf.String())
			}
			if !strings.Contains(buf.String(), "REDACTED") {
				t.Fatalf("no redaction marker:\n%s", buf.String())
			}
		})
	}
}
