// Package app is ferry's application layer: what an admin can see and do
// (connections, settings and their validation, sync errors and retries,
// match reviews, record history, API usage, the overview), as one set of
// functions that the JSON API, the web UI, the CLI (through the JSON API)
// and the inbox app all call. Handlers parse input, call App and render its
// answer; the rules live here once.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/store"
)

// Options configure an App.
type Options struct {
	// Store is ferry's state and job queue.
	Store store.Store
	// Manager hands out the connections' API clients.
	Manager *connection.Manager
	// Logger records what admins did; nil discards it.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// DefaultConnectionID is the connection used when a caller names none
	// (the one `ferry serve` runs from the environment).
	DefaultConnectionID int64
	// PollInterval is the operator's bound on poll intervals
	// (FERRY_POLL_INTERVAL), for the connections' sync health.
	PollInterval time.Duration
	// StallAfter is how long a received change may wait before its
	// connection says sync is stalled (FERRY_STALLED_AFTER).
	StallAfter time.Duration
}

// App is the application layer. Build it with New; it is safe for
// concurrent use.
type App struct {
	store   store.Store
	manager *connection.Manager
	log     *slog.Logger
	now     func() time.Time
	defConn int64
	poll    time.Duration
	stall   time.Duration

	// plan is the engine instance backfill dry runs use (backfill.go).
	plannerOnce sync.Once
	plan        *engine.Engine
	// plans are recent dry runs' plans, by connection and request.
	plansMu sync.Mutex
	plans   map[string]keptPlan
}

// New returns an App.
func New(opts Options) *App {
	a := &App{store: opts.Store, manager: opts.Manager, log: opts.Logger, now: opts.Now, defConn: opts.DefaultConnectionID,
		poll: opts.PollInterval, stall: opts.StallAfter}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// DefaultConnectionID is the connection used when a caller names none (0:
// none).
func (a *App) DefaultConnectionID() int64 { return a.defConn }

// Kind says what went wrong with a request, so that each front end can
// answer in its own way (an HTTP status, a message next to a form).
type Kind int

// The kinds of Error.
const (
	// Invalid: the input is wrong; the message says how to fix it.
	Invalid Kind = iota + 1
	// NotFound: what the input names does not exist.
	NotFound
	// Conflict: the request cannot be done in the current state.
	Conflict
	// Unavailable: a system ferry depends on cannot be reached now.
	Unavailable
)

// Error is a failure the admin must fix or know about; its message is
// meant to be shown. Any other error is internal.
type Error struct {
	Kind Kind
	Msg  string
	// Field names the input the message is about, when it is one field
	// of a form (a Case field); "" otherwise.
	Field string
}

func (e *Error) Error() string { return e.Msg }

func errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of err, 0 for an internal error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
