package engine

import (
	"context"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
)

// Direction is which way a synced record went.
type Direction string

// The two directions, as metrics label them.
const (
	ToSalesforce Direction = "intercom_to_salesforce"
	ToIntercom   Direction = "salesforce_to_intercom"
)

// Observer receives what the engine did, for metrics. Implementations must
// be safe for concurrent use and quick (they run on the sync path).
type Observer interface {
	// RecordsSynced counts records written to the other side, after the
	// batch that wrote them committed. object is "lead", "user" or
	// "company".
	RecordsSynced(connID int64, dir Direction, object string, n int)
	// SalesforceUsage reports the org's API usage from the latest
	// Sforce-Limit-Info header: calls used in the last 24 hours and the
	// org's daily maximum.
	SalesforceUsage(connID int64, used, max int)
	// StreamEvents counts change events delivered by a connection's
	// Salesforce stream (echoes among them: ferry's own writes coming
	// back) and the lag of the newest, from its commit to its being
	// applied.
	StreamEvents(connID int64, events, echoes int, lag time.Duration)
}

// moved counts a batch's written records by direction and object.
type moved map[Direction]map[string]int

func (m *moved) add(dir Direction, object string, n int) {
	if *m == nil {
		*m = moved{}
	}
	if (*m)[dir] == nil {
		(*m)[dir] = map[string]int{}
	}
	(*m)[dir][object] += n
}

// committed runs after a batch's transaction committed: its moves count.
func (b *batch) committed() {
	if obs := b.e.opts.Observer; obs != nil {
		for dir, objs := range b.ops.moved {
			for obj, n := range objs {
				obs.RecordsSynced(b.conn.ID, dir, obj, n)
			}
		}
	}
	if b.round != nil {
		for dir, objs := range b.ops.moved {
			for obj, n := range objs {
				b.round.moved.add(dir, obj, n)
			}
		}
	}
}

// round is one drain round or one poll of a connection: what it moved and
// the Salesforce calls it made, for its log line.
type round struct {
	kind  string
	start time.Time
	calls atomic.Int64
	// moved is only touched by the round's own goroutine.
	moved moved
}

// startRound begins a round and returns ctx counting its Salesforce calls.
func startRound(ctx context.Context, kind string) (context.Context, *round) {
	r := &round{kind: kind, start: time.Now()}
	return connection.CountCalls(ctx, &r.calls), r
}

// logRound writes the round's one line: INFO when it moved something or
// failed, DEBUG when there was nothing to do.
func (e *Engine) logRound(ctx context.Context, connID int64, r *round, err error) {
	attrs := []any{"connection", connID, "round", r.kind, "salesforce_calls", r.calls.Load(),
		"duration_ms", time.Since(r.start).Milliseconds()}
	total := 0
	for _, dir := range []Direction{ToSalesforce, ToIntercom} {
		objs := r.moved[dir]
		names := make([]string, 0, len(objs))
		for o := range objs {
			names = append(names, o)
		}
		sort.Strings(names)
		for _, o := range names {
			attrs = append(attrs, string(dir)+"."+o, objs[o])
			total += objs[o]
		}
	}
	attrs = append(attrs, "records", total)
	level := slog.LevelDebug
	switch {
	case err != nil:
		level = slog.LevelWarn
		attrs = append(attrs, "error", err)
	case total > 0:
		level = slog.LevelInfo
	}
	e.log.Log(ctx, level, "sync round", attrs...)
}

type syncRoundKey struct{}

// withRound makes the batches built with ctx report to r.
func withRound(ctx context.Context, r *round) context.Context {
	return context.WithValue(ctx, syncRoundKey{}, r)
}

// roundFrom returns the round ctx belongs to, if any.
func roundFrom(ctx context.Context) *round {
	r, _ := ctx.Value(syncRoundKey{}).(*round)
	return r
}

// polledMark names the watermark row that says when an object's poll last
// completed.
func polledMark(object string) string { return "poll:ok:" + object }
