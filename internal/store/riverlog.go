package store

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// quietHandler hands River's log records on one level lower when they are
// INFO: River's routine chatter (elections, producers starting, each job
// error it is about to retry) goes to DEBUG. River's own warnings and
// errors stay as they are; job failures are logged by jobErrorLogger.
type quietHandler struct{ next slog.Handler }

// riverLogger is the logger River gets.
func riverLogger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return nil
	}
	return slog.New(quietHandler{l.Handler()})
}

func (h quietHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, demote(level))
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r = r.Clone()
		r.Level = slog.LevelDebug
	}
	return h.next.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{h.next.WithAttrs(attrs)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.next.WithGroup(name)}
}

func demote(level slog.Level) slog.Level {
	if level == slog.LevelInfo {
		return slog.LevelDebug
	}
	return level
}

// jobErrorLogger logs a failed job attempt once, in ferry's words: WARN
// when River will retry it, ERROR with its cause when it was the last
// attempt (or panicked), then passes it on to the caller's ErrorHandler.
type jobErrorLogger struct {
	log  *slog.Logger
	next river.ErrorHandler
	// maxAttempts is the client's default, for jobs that set none.
	maxAttempts int
}

func (h jobErrorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	max := job.MaxAttempts
	if max <= 0 {
		max = h.maxAttempts
	}
	attrs := []any{"job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "max_attempts", max, "error", err.Error()}
	if job.Attempt < max {
		h.log.WarnContext(ctx, "job failed; it will be retried", attrs...)
	} else {
		h.log.ErrorContext(ctx, "job failed on its last attempt; it is discarded", attrs...)
	}
	if h.next != nil {
		return h.next.HandleError(ctx, job, err)
	}
	return nil
}

func (h jobErrorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.log.ErrorContext(ctx, "job panicked", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "panic", panicVal, "trace", trace)
	if h.next != nil {
		return h.next.HandlePanic(ctx, job, panicVal, trace)
	}
	return nil
}
