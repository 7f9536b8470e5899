package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/intercom"
)

// floorWriters is how many updates the floor keeps in flight: as many as
// ferry's Intercom writes of one batch.
const floorWriters = 32

// intercomFloor measures what bounds a Salesforce → Intercom burst: Intercom
// has no bulk update, so n changes are n contact updates. It times n
// updates of one custom attribute (ferry's payload) sent by floorWriters
// writers with ferry's Intercom client to an Intercom emulator of its own,
// its rate limit raised, its webhooks delivered to a sink that only reads
// them: Intercom's side of the work alone, on this machine, with no sync.
func intercomFloor(ctx context.Context, n int) (time.Duration, error) {
	sink, stopSink, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	if err != nil {
		return 0, err
	}
	defer stopSink()
	emu := icemu.New(icemu.Options{
		ClientID: intercomClientID, ClientSecret: randomHex(16), Webhooks: []string{sink},
		RateLimit: unlimited, WebhookRetryDelay: 2 * time.Second,
	})
	defer emu.Close()
	url, stop, err := serve(emu)
	if err != nil {
		return 0, err
	}
	defer stop()
	if err := emu.CustomAttribute("contact", "job_title", "string"); err != nil {
		return 0, fmt.Errorf("bench: floor: %w", err)
	}
	seeds := make([]icemu.ContactSeed, n)
	for i := range seeds {
		seeds[i] = icemu.ContactSeed{Email: fmt.Sprintf("floor%06d@bench.test", i), Name: fmt.Sprintf("Floor %d", i)}
	}
	ids, err := emu.BulkLoadContacts(seeds)
	if err != nil {
		return 0, fmt.Errorf("bench: floor: %w", err)
	}
	token := "floor-" + randomHex(16)
	emu.AddToken(token)
	ic := intercom.New(intercom.Config{BaseURL: url, Token: token, HTTPClient: &http.Client{Timeout: 30 * time.Second}})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	next := make(chan int)
	began := time.Now()
	for range floorWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				in := intercom.ContactInput{CustomAttributes: map[string]any{"job_title": fmt.Sprintf("floor-%d", i)}}
				if _, err := ic.UpdateContact(ctx, ids[i], in); err != nil {
					errMu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					errMu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range ids {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	took := time.Since(began)
	if first != nil {
		return 0, fmt.Errorf("bench: floor: %w", first)
	}
	return took, nil
}
