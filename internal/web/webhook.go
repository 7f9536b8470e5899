package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
)

// errUnknownWorkspace: a correctly signed event for a workspace no
// connection belongs to. It is answered 503 so Intercom retries once, by
// which time an admin may have connected the workspace.
var errUnknownWorkspace = errors.New("no connection for this Intercom workspace")

// webhookOutcome carries what the sink decided back to the metrics of the
// request that delivered the event.
type webhookOutcome struct{ result string }

type outcomeKey struct{}

// webhookHandler is POST and HEAD /webhooks/intercom (F1.2): the intake
// handler verifies X-Hub-Signature with the app's client secret and bounds
// the body; the sink stores the event, and requests its drain (a job
// unless one is pending), in one transaction before Intercom gets its 200.
func (s *Server) webhookHandler() http.HandlerFunc {
	h := intercom.NewWebhookHandler(intercom.WebhookConfig{
		Secret:  s.cfg.Intercom.ClientSecret,
		MaxBody: 1 << 20,
		Sink:    intercom.SinkFunc(s.acceptWebhook),
		Logger:  s.log,
	})
	return func(w http.ResponseWriter, r *http.Request) {
		out := &webhookOutcome{}
		r = r.WithContext(context.WithValue(r.Context(), outcomeKey{}, out))
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if r.Method != http.MethodPost {
			return
		}
		switch status := rec.status(); {
		case status == http.StatusOK && out.result == "":
			s.metrics.webhooks.WithLabelValues("ignored", "unknown_topic").Inc()
		case status == http.StatusOK:
			s.metrics.webhooks.WithLabelValues("accepted", out.result).Inc()
		case status == http.StatusUnauthorized:
			s.metrics.webhooks.WithLabelValues("rejected", "bad_signature").Inc()
		case status == http.StatusRequestEntityTooLarge:
			s.metrics.webhooks.WithLabelValues("rejected", "too_large").Inc()
		case status == http.StatusBadRequest:
			s.metrics.webhooks.WithLabelValues("rejected", "malformed").Inc()
		case out.result != "":
			s.metrics.webhooks.WithLabelValues("rejected", out.result).Inc()
		default:
			s.metrics.webhooks.WithLabelValues("rejected", "unavailable").Inc()
		}
	}
}

// acceptWebhook is the intake sink: find the event's connection, store the
// event (deduplicated on the notification id) and request its drain (see
// jobs.StoreWebhookEvent), all in one transaction. A redelivery is
// acknowledged and stored once. Webhooks arriving together share one
// transaction (intakeGroup): under a stream of them, one transaction per
// webhook would keep the store's single writer busy and hold back both the
// intake and the drain it feeds.
func (s *Server) acceptWebhook(ctx context.Context, ev *intercom.Event) error {
	out, _ := ctx.Value(outcomeKey{}).(*webhookOutcome)
	if out == nil {
		out = &webhookOutcome{}
	}
	if ev.Kind == intercom.KindPing {
		out.result = "ping"
		return nil
	}
	notif := ev.ID
	if notif == "" {
		// Intercom ids every notification but pings; should one come
		// without, the body's hash still recognises its redelivery.
		sum := sha256.Sum256(ev.Raw)
		notif = "sha256:" + hex.EncodeToString(sum[:])
	}
	r := &intakeReq{ctx: ctx, ev: ev, notif: notif, done: make(chan struct{}), lead: make(chan struct{})}
	s.intake.submit(r, s.storeWebhooks)
	out.result = r.result
	if err := r.err; err != nil {
		if errors.Is(err, errUnknownWorkspace) {
			s.log.WarnContext(ctx, "intercom webhook for an unknown workspace", "app_id", ev.AppID, "topic", ev.Topic, "id", ev.ID)
		}
		return fmt.Errorf("web: webhook %s: %w", ev.ID, err)
	}
	s.log.DebugContext(ctx, "intercom webhook stored", "connection", r.connID, "topic", ev.Topic, "id", ev.ID, "result", out.result)
	return nil
}

// intakeReq is one webhook waiting to be stored, and what came of it.
type intakeReq struct {
	ctx   context.Context
	ev    *intercom.Event
	notif string
	// done is closed once the request's outcome is set; lead when it is to
	// store the next group itself.
	done, lead chan struct{}

	connID int64
	result string
	err    error
}

// intakeGroup stores webhooks in groups: the first to arrive stores
// itself at once, and those arriving while a group is being stored form
// the next group, stored together by one of them. Nothing waits for a
// timer: when webhooks come one at a time, each has its own transaction.
type intakeGroup struct {
	mu      sync.Mutex
	pending []*intakeReq
	running bool
}

// submit stores r with whatever group it joins, using store, and returns
// once r's outcome is set.
func (g *intakeGroup) submit(r *intakeReq, store func([]*intakeReq)) {
	g.mu.Lock()
	g.pending = append(g.pending, r)
	if g.running {
		g.mu.Unlock()
		select {
		case <-r.done:
			return
		case <-r.lead:
			// The previous leader stored its own group: this request
			// leads the next one.
		}
		g.mu.Lock()
	}
	g.running = true
	group := g.pending
	g.pending = nil
	g.mu.Unlock()

	store(group)
	for _, q := range group {
		close(q.done)
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pending) == 0 {
		g.running = false
		return
	}
	// Hand the next group over rather than store it too: this request's
	// sender waits for its answer.
	close(g.pending[0].lead)
}

// intakeTimeout bounds a group's transaction, which no single sender's
// going away may cancel: the others wait on it.
const intakeTimeout = 30 * time.Second

// storeWebhooks stores a group of webhooks in one transaction, each with
// its drain request (jobs.StoreWebhookEvent: the first of a connection's
// kind may enqueue a drain job, the others find it requested), and sets
// each one's outcome. An event of an unknown workspace fails alone; a
// store error fails the group (Intercom delivers again; the notification
// ids keep the redelivery from being stored twice).
func (s *Server) storeWebhooks(group []*intakeReq) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), intakeTimeout)
	defer cancel()
	type outcome struct {
		connID int64
		result string
		err    error
	}
	outs := make([]outcome, len(group))
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		clear(outs)
		conns, err := tx.ListConnections(ctx)
		if err != nil {
			return err
		}
		for i, r := range group {
			o := &outs[i]
			c, ok := app.WorkspaceConnection(conns, r.ev.AppID, s.defConn)
			if !ok {
				o.result, o.err = "unknown_workspace", errUnknownWorkspace
				continue
			}
			o.connID = c.ID
			if c.State == store.StateDisconnected && c.Cause == store.CauseUserDisconnected {
				// Uninstalled by an admin: its events are acknowledged and
				// dropped; connecting again resumes from the watermarks.
				o.result = "disconnected"
				continue
			}
			_, inserted, err := jobs.StoreWebhookEvent(ctx, tx, store.WebhookEvent{
				ConnectionID: c.ID, NotificationID: r.notif, Topic: r.ev.Topic, Payload: string(r.ev.Raw),
			})
			if err != nil {
				return err
			}
			if !inserted {
				o.result = "duplicate"
				continue
			}
			o.result = "stored"
		}
		return nil
	})
	for i, r := range group {
		if err != nil {
			r.result, r.err = "store_failed", err
			continue
		}
		r.connID, r.result, r.err = outs[i].connID, outs[i].result, outs[i].err
	}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// Unwrap lets http.ResponseController reach the connection (the intake
// handler sets a read deadline).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
