package main

import (
	"context"
	"strings"
	"testing"
)

// TestHousekeepingCLI: on the demo, `ferry check accounts` diagnoses
// account sync and exits 1 on a problem, `ferry resync --wait` matches
// again to the end without creating anything, `ferry uninstall` keeps the
// connection disconnected and `ferry uninstall --purge` removes it.
func TestHousekeepingCLI(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	ctx := context.Background()
	cli := func(args ...string) (int, string) {
		env, out, errOut := testEnv(map[string]string{"FERRY_PUBLIC_URL": d.url, "FERRY_ADMIN_TOKEN": d.token})
		code := run(ctx, args, env)
		return code, out.String() + errOut.String()
	}
	// The demo's companies were made months ago.
	code, out := cli("check", "accounts")
	if code != 1 || !strings.Contains(out, "No Intercom company was created or updated in the last 30 days") ||
		!strings.Contains(out, "  fix: Create or update companies in Intercom") {
		t.Errorf("check accounts: exit %d\n%s", code, out)
	}

	code, out = cli("resync", "--wait")
	for _, want := range []string{"connection 1 matching companies: done, 6 processed", "connection 1 matching contacts: done"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("resync: exit %d, want %q in\n%s", code, want, out)
		}
	}
	if _, out = cli("check", "accounts"); strings.Contains(out, "no company is mapped") {
		t.Errorf("check accounts after resync still finds no mapping: %s", out)
	}

	code, out = cli("uninstall")
	if code != 0 || !strings.Contains(out, "connection 1 uninstalled: both tokens revoked; its data is kept") {
		t.Errorf("uninstall: exit %d\n%s", code, out)
	}
	if _, out = cli("connections", "show", "1"); !strings.Contains(out, "disconnected") {
		t.Errorf("connection after uninstall:\n%s", out)
	}
	code, out = cli("uninstall", "--purge")
	if code != 0 || !strings.Contains(out, "every row of it deleted") {
		t.Errorf("uninstall --purge: exit %d\n%s", code, out)
	}
	if code, out = cli("connections", "show", "1"); code == 0 || !strings.Contains(out, "connection 1 does not exist") {
		t.Errorf("connection after purge: exit %d\n%s", code, out)
	}
}
