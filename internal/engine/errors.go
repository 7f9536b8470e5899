package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
)

// errKind says how a failed API call is handled.
type errKind int

const (
	// permanent: this record's write cannot succeed as is; it becomes a
	// sync error and the batch goes on.
	permanent errKind = iota
	// transient: retrying later may work (5xx, timeouts, lock contention,
	// rate limits); the batch stops and River retries it with backoff.
	transient
	// breaking: the connection is broken (revoked token, API disabled,
	// daily limit); work waits for a reconnect, nothing is lost.
	breaking
)

// batchError stops a batch; the engine turns it into River's answer.
type batchError struct {
	kind  errKind
	side  connection.Side
	cause string
	err   error
}

func (e *batchError) Error() string { return e.err.Error() }
func (e *batchError) Unwrap() error { return e.err }

// classifySF sorts an error of the Salesforce client.
func classifySF(err error) *batchError {
	if cause := connection.SalesforceCause(err); cause != "" {
		return &batchError{kind: breaking, side: connection.SideSalesforce, cause: cause, err: err}
	}
	// A query naming a field that is gone (schemaChanged) is retried too,
	// with the schema read again (jobError).
	if salesforce.IsTransient(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || schemaChanged(err) {
		return &batchError{kind: transient, side: connection.SideSalesforce, err: err}
	}
	return &batchError{kind: permanent, side: connection.SideSalesforce, err: err}
}

// classifyIC sorts an error of the Intercom client.
func classifyIC(err error) *batchError {
	if cause := connection.IntercomCause(err); cause != "" {
		return &batchError{kind: breaking, side: connection.SideIntercom, cause: cause, err: err}
	}
	if intercom.IsRetryable(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &batchError{kind: transient, side: connection.SideIntercom, err: err}
	}
	return &batchError{kind: permanent, side: connection.SideIntercom, err: err}
}

// errBudget: the API budget's lane is exhausted for today (F8.1).
type errBudget struct{ until time.Time }

func (e *errBudget) Error() string {
	return fmt.Sprintf("Salesforce API budget exhausted for this lane until %s", e.until.Format(time.RFC3339))
}

// jobError turns an engine error into what River should do: a broken
// connection is recorded and the job snoozed (it resumes after a reconnect,
// nothing lost); an exhausted budget snoozes until the next UTC day; a
// transient error is returned for River's retry with backoff.
func (e *Engine) jobError(ctx context.Context, connID int64, err error) error {
	if err == nil {
		return nil
	}
	if schemaChanged(err) {
		// The next attempt reads the schema again and leaves the lost
		// field out; the setup check shows the problem.
		e.invalidate(connID)
		e.log.WarnContext(ctx, "a Salesforce field ferry uses is gone; retrying with the schema read again", "connection", connID, "error", err)
	}
	var be *batchError
	if !errors.As(err, &be) {
		if cause := connection.SalesforceCause(err); cause != "" {
			be = &batchError{kind: breaking, side: connection.SideSalesforce, cause: cause, err: err}
		} else if cause := connection.IntercomCause(err); cause != "" {
			be = &batchError{kind: breaking, side: connection.SideIntercom, cause: cause, err: err}
		} else if errors.Is(err, connection.ErrNotConnected) {
			return river.JobSnooze(e.opts.DisconnectedRetry)
		}
	}
	if cause := apiPauseCause(err); cause != "" {
		// The API limit frees up by itself (a rolling 24-hour window) and
		// API access comes back when an admin turns it on: neither needs
		// a reconnect. The connection shows the pause; the polls check
		// until calls are accepted and then drain what queued up.
		e.pauseAPI(ctx, connID, cause, err)
		return river.JobSnooze(e.opts.DisconnectedRetry)
	}
	if be != nil && be.kind == breaking {
		e.opts.Manager.Health().Disconnect(context.WithoutCancel(ctx), connID, be.side, be.cause, be.err)
		e.log.WarnContext(ctx, "connection broken; sync waits for a reconnect", "connection", connID,
			"side", string(be.side), "cause", be.cause)
		return river.JobSnooze(e.opts.DisconnectedRetry)
	}
	var bu *errBudget
	if errors.As(err, &bu) {
		wait := max(bu.until.Sub(e.now()), time.Second)
		e.log.InfoContext(ctx, "API budget exhausted; sync paused until the day rolls over", "connection", connID, "wait_ms", wait.Milliseconds())
		return river.JobSnooze(wait)
	}
	return err
}

// isICNotFound reports a 404 from Intercom (a deleted or merged-away record).
func isICNotFound(err error) bool { return intercom.IsNotFound(err) }
