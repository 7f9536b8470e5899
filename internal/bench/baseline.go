package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
)

// BaselinePerEvent names the per-event baseline: an integration built the
// way Zapier- or n8n-style flows are, one lookup and one write per change.
const BaselinePerEvent = "per-event"

// perEvent is the per-event integration the baseline runs in ferry's place,
// against the same emulators, fed the same changes:
//
//   - Intercom → Salesforce: for each contact webhook, one query for the
//     Lead with the contact's email and one update of its Title.
//   - Salesforce → Intercom (when the scenario maps that way): every poll
//     interval, one query for the Leads modified since the last poll; for
//     each, one search of Intercom by email and, when the job title
//     differs, one update of the contact.
//
// It keeps no state beyond the last poll's time, as such flows do.
type perEvent struct {
	sf  *salesforce.Client
	ic  *intercom.Client
	log *slog.Logger

	mu    sync.Mutex
	since time.Time // the polling trigger's watermark; zero until switched on

	srv    *http.Server
	sem    chan struct{}
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// perEventWorkers bounds the webhooks handled at once (a flow runner's
// concurrency).
const perEventWorkers = 10

// startPerEvent starts the per-event integration serving Intercom's
// webhooks on ln and, when toIntercom, polling Salesforce every interval.
func (h *Harness) startPerEvent(ctx context.Context, ln net.Listener, interval time.Duration, toIntercom bool) (*perEvent, error) {
	hc := &http.Client{Timeout: 30 * time.Second}
	cfg := &salesforce.Config{LoginURL: h.SFURL, ClientID: sfClientID, ClientSecret: sfClientSecret, HTTPClient: hc}
	tok, err := cfg.PasswordLogin(ctx, sfemu.DefaultUsername, sfemu.DefaultPassword)
	if err != nil {
		return nil, fmt.Errorf("bench: per-event login to Salesforce: %w", err)
	}
	icToken := "per-event-" + randomHex(16)
	h.IC.AddToken(icToken)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &perEvent{
		// Retries off: every call the flow makes is one it chose to make.
		sf:     salesforce.NewClient(salesforce.StaticSource{Tok: tok}, salesforce.ClientOptions{HTTPClient: hc, Retries: -1}),
		ic:     intercom.New(intercom.Config{BaseURL: h.ICURL, Token: icToken, HTTPClient: hc}),
		log:    h.opts.Logger.With("baseline", BaselinePerEvent),
		sem:    make(chan struct{}, perEventWorkers),
		cancel: cancel,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhooks/intercom", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		// Answer at once and run the flow in the background, as a flow
		// runner does.
		w.WriteHeader(http.StatusOK)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-p.sem }()
			p.toSalesforce(ctx, body)
		}()
	})
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	if toIntercom {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.pollLoop(ctx, interval)
		}()
	}
	return p, nil
}

// toSalesforce runs the Intercom → Salesforce flow for one webhook.
func (p *perEvent) toSalesforce(ctx context.Context, body []byte) {
	var env struct {
		Topic string `json:"topic"`
		Data  struct {
			Item intercom.Contact `json:"item"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Data.Item.Email == "" {
		return
	}
	c := env.Data.Item
	title, _ := c.CustomAttributes["job_title"].(string)
	q := "SELECT Id FROM Lead WHERE Email = " + salesforce.QuoteSOQL(c.Email) + " LIMIT 1"
	var id string
	for r, err := range p.sf.Query(ctx, q) {
		if err != nil {
			p.log.Warn("lookup failed", "err", err)
			return
		}
		id = r.ID()
	}
	if id == "" {
		return
	}
	if err := p.sf.Update(ctx, "Lead", id, map[string]any{sfField: title}); err != nil {
		p.log.Warn("update failed", "err", err)
	}
}

// pollLoop runs the Salesforce → Intercom flow's polling trigger.
func (p *perEvent) pollLoop(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Switched on when the scenario's measured part begins: the
		// people loaded before are not changes, as a flow's trigger
		// ignores what exists when it is switched on.
		p.mu.Lock()
		since := p.since
		p.mu.Unlock()
		if since.IsZero() {
			continue
		}
		now := time.Now().UTC()
		q := fmt.Sprintf("SELECT Id, Email, Title, SystemModstamp FROM Lead WHERE SystemModstamp >= %s ORDER BY SystemModstamp",
			salesforce.SOQLDateTime(since))
		var recs []salesforce.Record
		for r, err := range p.sf.Query(ctx, q) {
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					p.log.Warn("poll failed", "err", err)
				}
				recs = nil
				break
			}
			recs = append(recs, r)
		}
		p.mu.Lock()
		p.since = now.Add(-time.Second)
		p.mu.Unlock()
		var wg sync.WaitGroup
		for _, r := range recs {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-p.sem }()
				p.toIntercom(ctx, r)
			}()
		}
		wg.Wait()
	}
}

// toIntercom runs the Salesforce → Intercom flow for one polled Lead.
func (p *perEvent) toIntercom(ctx context.Context, r salesforce.Record) {
	email, title := r.String("Email"), r.String(sfField)
	found, err := p.ic.FindContactByEmail(ctx, email)
	if err != nil || len(found) == 0 {
		return
	}
	c := found[0]
	if cur, _ := c.CustomAttributes["job_title"].(string); cur == title {
		return
	}
	if _, err := p.ic.UpdateContact(ctx, c.ID, intercom.ContactInput{CustomAttributes: map[string]any{"job_title": title}}); err != nil {
		p.log.Warn("update failed", "err", err)
	}
}

// switchOn starts the Salesforce → Intercom trigger: it finds what changes
// from now on.
func (p *perEvent) switchOn() {
	p.mu.Lock()
	p.since = time.Now().UTC()
	p.mu.Unlock()
}

// close stops the flows and waits for the running ones.
func (p *perEvent) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	p.cancel()
	p.wg.Wait()
}
