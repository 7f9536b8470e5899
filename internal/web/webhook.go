package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

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
// acknowledged and stored once.
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
	var connID int64
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		connID, err = s.webhookConnection(ctx, tx, ev.AppID)
		if err != nil {
			return err
		}
		if c, err := tx.GetConnection(ctx, connID); err != nil {
			return err
		} else if c.State == store.StateDisconnected && c.Cause == store.CauseUserDisconnected {
			// Uninstalled by an admin: its events are acknowledged and
			// dropped; connecting again resumes from the watermarks.
			out.result = "disconnected"
			return nil
		}
		_, inserted, err := jobs.StoreWebhookEvent(ctx, tx, store.WebhookEvent{
			ConnectionID: connID, NotificationID: notif, Topic: ev.Topic, Payload: string(ev.Raw),
		})
		if err != nil {
			return err
		}
		if !inserted {
			out.result = "duplicate"
			return nil
		}
		out.result = "stored"
		return nil
	})
	if err != nil {
		if errors.Is(err, errUnknownWorkspace) {
			out.result = "unknown_workspace"
			s.log.WarnContext(ctx, "intercom webhook for an unknown workspace", "app_id", ev.AppID, "topic", ev.Topic, "id", ev.ID)
		} else {
			out.result = "store_failed"
		}
		return fmt.Errorf("web: webhook %s: %w", ev.ID, err)
	}
	s.log.DebugContext(ctx, "intercom webhook stored", "connection", connID, "topic", ev.Topic, "id", ev.ID, "result", out.result)
	return nil
}

// webhookConnection finds the connection of an Intercom workspace. Events
// for a workspace no connection names go to the only connection there is,
// or to the default connection while it has no workspace yet (a token from
// the environment, before its first check).
func (s *Server) webhookConnection(ctx context.Context, tx store.Tx, appID string) (int64, error) {
	conns, err := tx.ListConnections(ctx)
	if err != nil {
		return 0, err
	}
	if c, ok := app.WorkspaceConnection(conns, appID, s.defConn); ok {
		return c.ID, nil
	}
	return 0, errUnknownWorkspace
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
