package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// scrape reads ferry's /metrics into "name{labels}" → value.
func scrape(t *testing.T, ctx context.Context, f *Ferry) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.URL+"/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// syncHealth is the connection's sync health as the admin API shows it.
type syncHealth struct {
	Stalled bool `json:"stalled"`
	Reasons []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"reasons"`
	PendingChanges int `json:"pending_changes"`
}

func (h syncHealth) has(code string) bool {
	for _, r := range h.Reasons {
		if r.Code == code {
			return true
		}
	}
	return false
}

func connectionHealth(t *testing.T, ctx context.Context, f *Ferry) (state string, h syncHealth) {
	t.Helper()
	body, err := f.admin(ctx, http.DefaultClient, http.MethodGet, fmt.Sprintf("/api/v1/connections/%d", f.ConnID), nil)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		State string     `json:"state"`
		Sync  syncHealth `json:"sync"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("connection: %v: %s", err, body)
	}
	return v.State, v.Sync
}

// TestSalesforceOutageShowsInMetricsAndHealth stalls sync on purpose (every
// Salesforce call answers 503) while an Intercom change waits: /metrics
// shows the lag growing and the last successful poll standing still, and
// the connection, still "connected", says sync is stalled and why. When
// Salesforce answers again, the change lands and the stall clears.
func TestSalesforceOutageShowsInMetricsAndHealth(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	h, people := setup(t, ctx, Options{PollInterval: time.Second}, 3)
	f := h.Ferries[0]
	cid := strconv.FormatInt(f.ConnID, 10)
	lag := `ferry_sync_oldest_pending_change_age_seconds{connection="` + cid + `"}`
	lastPoll := `ferry_sync_last_successful_poll_timestamp_seconds{connection="` + cid + `",object="Lead"}`
	stalled := func(reason string) string {
		return `ferry_sync_stalled{connection="` + cid + `",reason="` + reason + `"}`
	}
	synced := `ferry_sync_records_total{connection="` + cid + `",direction="intercom_to_salesforce",object="lead"}`

	// Wait for the first polls after the initial sync.
	var before map[string]float64
	for deadline := time.Now().Add(20 * time.Second); ; {
		before = scrape(t, ctx, f)
		if before[lastPoll] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no successful poll shown in /metrics after 20 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if before[lastPoll] == 0 || before[stalled("salesforce_unreachable")] != 0 || before[stalled("poll_overdue")] != 0 {
		t.Fatalf("healthy: last poll %v, stalled %v/%v", before[lastPoll], before[stalled("salesforce_unreachable")], before[stalled("poll_overdue")])
	}
	if _, hl := connectionHealth(t, ctx, f); hl.Stalled {
		t.Fatalf("healthy connection says stalled: %+v", hl)
	}

	start := time.Now()
	h.SF.SetFaults(sfemu.Faults{ErrorRate: 1, ErrorStatus: 503})
	if err := h.ChangeIntercom(people[0], "during-outage"); err != nil {
		t.Fatal(err)
	}
	// Wait for the outage to be seen and for three poll intervals to pass.
	var during map[string]float64
	var state string
	var hl syncHealth
	deadline := time.Now().Add(30 * time.Second)
	for {
		during = scrape(t, ctx, f)
		state, hl = connectionHealth(t, ctx, f)
		// Metrics are scraped before health is read: wait until both show
		// the stall, or a stall that began between the two reads fails.
		if hl.has("salesforce_unreachable") && hl.has("poll_overdue") && during[lag] > 1 &&
			during[stalled("salesforce_unreachable")] == 1 && during[stalled("poll_overdue")] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outage not shown after 30 s: state %s health %+v lag %v stalled metrics %v/%v", state, hl, during[lag],
				during[stalled("salesforce_unreachable")], during[stalled("poll_overdue")])
		}
		time.Sleep(250 * time.Millisecond)
	}
	if state != "connected" || !hl.Stalled || hl.PendingChanges < 1 {
		t.Fatalf("during the outage: state %q health %+v, want connected, stalled, a change pending", state, hl)
	}
	for _, r := range hl.Reasons {
		if r.Code == "salesforce_unreachable" && !strings.Contains(r.Message, "503") {
			t.Errorf("the reason does not say what Salesforce answered: %q", r.Message)
		}
	}
	if during[stalled("salesforce_unreachable")] != 1 || during[stalled("poll_overdue")] != 1 {
		t.Errorf("metrics do not show the stall: %v %v", during[stalled("salesforce_unreachable")], during[stalled("poll_overdue")])
	}
	if during[lastPoll] != 0 && during[lastPoll] > before[lastPoll]+2 {
		// A poll that finished before the faults began may be newer than
		// before; none can finish during the outage.
		t.Errorf("last successful poll moved during the outage: %v → %v", before[lastPoll], during[lastPoll])
	}
	time.Sleep(1100 * time.Millisecond)
	if later := scrape(t, ctx, f); later[lag] <= during[lag] || later[lastPoll] != during[lastPoll] {
		t.Errorf("lag %v → %v should grow and last poll %v → %v stand still", during[lag], later[lag], during[lastPoll], later[lastPoll])
	}

	t.Logf("outage shown after %s", time.Since(start))
	h.SF.SetFaults(sfemu.Faults{})
	start = time.Now()
	// The queue's retry backoff, not the outage's end, sets when sync
	// resumes; it is measured here, not asserted.
	deadline = time.Now().Add(60 * time.Second)
	for {
		after := scrape(t, ctx, f)
		_, hl = connectionHealth(t, ctx, f)
		if !hl.Stalled && after[lag] == 0 && after[lastPoll] > during[lastPoll] && after[synced] > before[synced] {
			t.Logf("recovered after %s", time.Since(start))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after 60 s: health %+v lag %v last poll %v synced %v", hl, after[lag], after[lastPoll], after[synced])
		}
		time.Sleep(250 * time.Millisecond)
	}
}
