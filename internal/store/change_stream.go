package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Change stream modes: how a connection's Salesforce changes arrive (F3.3).
const (
	// StreamModeStream: Change Data Capture events arrive over the
	// stream; polling only reconciles, at the long interval.
	StreamModeStream = "stream"
	// StreamModePoll: changes are found by polling at the normal
	// interval; Cause says why (streaming off, not offered, failing).
	StreamModePoll = "poll"
)

// ChangeStream is the state of a connection's Salesforce change stream:
// who subscribes, how far it applied, and how changes arrive.
type ChangeStream struct {
	ConnectionID int64
	// Holder is the instance holding the subscriber lease until
	// HeldUntil; another instance takes over once it has passed.
	Holder    string
	HeldUntil time.Time
	// ReplayID is Salesforce's opaque position of the last event applied
	// (nil before the first); the subscriber resumes after it.
	ReplayID []byte
	ReplayAt time.Time
	// Mode is StreamModeStream or StreamModePoll ("" before the first
	// subscription); Cause says why changes are polled; ModeSince is when
	// the mode last changed.
	Mode      string
	Cause     string
	ModeSince time.Time
	// Objects are the objects whose changes the stream carries; Missing
	// those Salesforce sends no change events for (Change Data Capture is
	// not enabled for them), polled at the normal interval.
	Objects []string
	Missing []string
	// LastEventAt is the commit time of the last event applied, and Lag
	// how long after its commit it was applied.
	LastEventAt time.Time
	Lag         time.Duration
	// Events counts the events applied since the row was created.
	Events    int64
	UpdatedAt time.Time
	// DeliveryMax and DeliveryRemaining are the org's daily event
	// delivery allocation and what is left of it, as read at
	// DeliveryReadAt (zero before the first read).
	DeliveryMax, DeliveryRemaining int64
	DeliveryReadAt                 time.Time
}

const changeStreamColumns = `connection_id, holder, held_until, replay_id, replay_at, mode, cause, objects, missing, mode_since, last_event_at, lag_ms, events, updated_at, delivery_max, delivery_remaining, delivery_read_at`

// GetChangeStream returns a connection's change stream, or ErrNotFound
// before it was first subscribed.
func (r *reader) GetChangeStream(ctx context.Context, connID int64) (ChangeStream, error) {
	var s ChangeStream
	var replay, objects, missing string
	var lag int64
	var held, at, since, last, upd, deliv *time.Time
	err := r.q.queryRow(ctx, `SELECT `+changeStreamColumns+` FROM change_streams WHERE connection_id = $1`, connID).Scan(
		&s.ConnectionID, &s.Holder, nullTimeCol{&held}, &replay, nullTimeCol{&at}, &s.Mode, &s.Cause, &objects, &missing, nullTimeCol{&since},
		nullTimeCol{&last}, &lag, &s.Events, nullTimeCol{&upd}, &s.DeliveryMax, &s.DeliveryRemaining, nullTimeCol{&deliv})
	if err != nil {
		return ChangeStream{}, notFound(err, "store: get change stream of connection %d", connID)
	}
	for _, t := range []struct {
		src *time.Time
		dst *time.Time
	}{{held, &s.HeldUntil}, {at, &s.ReplayAt}, {since, &s.ModeSince}, {last, &s.LastEventAt}, {upd, &s.UpdatedAt}, {deliv, &s.DeliveryReadAt}} {
		if t.src != nil {
			*t.dst = *t.src
		}
	}
	s.Lag = time.Duration(lag) * time.Millisecond
	if objects != "" {
		s.Objects = strings.Split(objects, ",")
	}
	if missing != "" {
		s.Missing = strings.Split(missing, ",")
	}
	if replay != "" {
		if s.ReplayID, err = hex.DecodeString(replay); err != nil {
			return ChangeStream{}, fmt.Errorf("store: change stream of connection %d: replay id %q: %w", connID, replay, err)
		}
	}
	return s, nil
}

// AcquireChangeStream takes or renews owner's subscriber lease on a
// connection's change stream until until: true when owner holds it now
// (it held it already, nobody did, or the holder's lease ran out).
func (w *writer) AcquireChangeStream(ctx context.Context, connID int64, owner string, until time.Time) (bool, error) {
	if owner == "" {
		return false, fmt.Errorf("store: acquire change stream: owner is empty: %w", ErrInvalid)
	}
	t := now()
	n, err := w.q.exec(ctx, `INSERT INTO change_streams (connection_id, holder, held_until, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (connection_id) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until, updated_at = excluded.updated_at
		WHERE change_streams.holder = excluded.holder OR change_streams.holder = '' OR change_streams.held_until IS NULL
			OR change_streams.held_until < $4`, connID, owner, normTime(until), t)
	if err != nil {
		return false, w.wrapWrite(err, "store: acquire change stream of connection %d", connID)
	}
	return n == 1, nil
}

// ReleaseChangeStream gives up owner's lease so another instance takes
// over at once (a graceful shutdown).
func (w *writer) ReleaseChangeStream(ctx context.Context, connID int64, owner string) error {
	if _, err := w.q.exec(ctx, `UPDATE change_streams SET holder = '', held_until = NULL, updated_at = $1
		WHERE connection_id = $2 AND holder = $3`, now(), connID, owner); err != nil {
		return w.wrapWrite(err, "store: release change stream of connection %d", connID)
	}
	return nil
}

// SaveChangeStreamReplay records, for owner, the replay id after which the
// stream resumes, with the commit time of the last event applied (zero to
// keep it), the lag at which it was applied and how many events were
// applied. It returns false, saving nothing, when owner no longer holds
// the lease: another instance took over and its position wins.
func (w *writer) SaveChangeStreamReplay(ctx context.Context, connID int64, owner string, replayID []byte, lastEvent time.Time, lag time.Duration, events int) (bool, error) {
	t := now()
	set, args := ``, []any{hex.EncodeToString(replayID), t, events, connID, owner}
	if !lastEvent.IsZero() {
		set, args = `, last_event_at = $6, lag_ms = $7`, append(args, normTime(lastEvent), lag.Milliseconds())
	}
	n, err := w.q.exec(ctx, `UPDATE change_streams SET replay_id = $1, replay_at = $2, events = events + $3, updated_at = $2`+set+`
		WHERE connection_id = $4 AND holder = $5`, args...)
	if err != nil {
		return false, w.wrapWrite(err, "store: save replay id of connection %d", connID)
	}
	return n == 1, nil
}

// ResetChangeStreamReplay forgets the replay id: the next subscription
// starts at the newest event (after a replay id Salesforce no longer
// keeps; the missed window is reconciled by polling).
func (w *writer) ResetChangeStreamReplay(ctx context.Context, connID int64) error {
	if _, err := w.q.exec(ctx, `UPDATE change_streams SET replay_id = '', replay_at = NULL, updated_at = $1 WHERE connection_id = $2`,
		now(), connID); err != nil {
		return w.wrapWrite(err, "store: reset replay id of connection %d", connID)
	}
	return nil
}

// SetChangeStreamMode records how the connection's changes arrive, why,
// and which objects stream and which have no change events (both kept when
// objects is nil); ModeSince moves only when the mode changes.
func (w *writer) SetChangeStreamMode(ctx context.Context, connID int64, mode, cause string, objects, missing []string) error {
	t := now()
	keep := objects == nil
	if _, err := w.q.exec(ctx, `INSERT INTO change_streams (connection_id, mode, cause, objects, missing, mode_since, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (connection_id) DO UPDATE SET mode = excluded.mode, cause = excluded.cause, updated_at = excluded.updated_at,
			objects = CASE WHEN $7 THEN change_streams.objects ELSE excluded.objects END,
			missing = CASE WHEN $7 THEN change_streams.missing ELSE excluded.missing END,
			mode_since = CASE WHEN change_streams.mode = excluded.mode THEN change_streams.mode_since ELSE excluded.mode_since END`,
		connID, mode, cause, strings.Join(objects, ","), strings.Join(missing, ","), t, keep); err != nil {
		return w.wrapWrite(err, "store: set change stream mode of connection %d", connID)
	}
	return nil
}

// SaveChangeStreamAllocation records the org's daily event delivery
// allocation and what is left of it, read now.
func (w *writer) SaveChangeStreamAllocation(ctx context.Context, connID int64, max, remaining int64) error {
	t := now()
	if _, err := w.q.exec(ctx, `INSERT INTO change_streams (connection_id, delivery_max, delivery_remaining, delivery_read_at, updated_at)
		VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (connection_id) DO UPDATE SET delivery_max = excluded.delivery_max,
			delivery_remaining = excluded.delivery_remaining, delivery_read_at = excluded.delivery_read_at`,
		connID, max, remaining, t); err != nil {
		return w.wrapWrite(err, "store: save event delivery allocation of connection %d", connID)
	}
	return nil
}
