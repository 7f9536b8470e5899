package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river/rivertype"
)

// completeArgs lets CompleteJobTx hand River a Job of any kind: completion
// reads only the row's id and state.
type completeArgs struct{}

func (completeArgs) Kind() string { return "ferry_complete" }

// jobResult wraps River's job calls' errors with what was attempted.
func jobResult(row *rivertype.JobRow, err error) func(op string, id int64) (*rivertype.JobRow, error) {
	return func(op string, id int64) (*rivertype.JobRow, error) {
		if errors.Is(err, rivertype.ErrNotFound) {
			return nil, fmt.Errorf("store: %s job %d: %w", op, id, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("store: %s job %d: %w", op, id, err)
		}
		return row, nil
	}
}

// CountJobs counts jobs by state from River's table.
func (r *reader) CountJobs(ctx context.Context, kinds ...string) (map[rivertype.JobState]int, error) {
	q := `SELECT state, count(*) FROM river_job`
	var args []any
	if len(kinds) > 0 {
		q += ` WHERE ` + r.d.inList("kind", 1)
		args = append(args, r.d.listArg(kinds))
	}
	rs, err := r.q.query(ctx, q+` GROUP BY state`, args...)
	type stateCount struct {
		state rivertype.JobState
		n     int
	}
	counts, err := collect(rs, err, func(rs rows) (stateCount, error) {
		var c stateCount
		var state string
		err := rs.Scan(&state, &c.n)
		c.state = rivertype.JobState(strings.TrimSpace(state))
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: count jobs: %w", err)
	}
	out := make(map[rivertype.JobState]int, len(counts))
	for _, c := range counts {
		out[c.state] = c.n
	}
	return out, nil
}

// CountUnfinishedJobsByKind counts the jobs not yet finished (available,
// scheduled, retryable, running, pending) by kind and state: the queue's
// depth.
func (r *reader) CountUnfinishedJobsByKind(ctx context.Context) (map[string]map[rivertype.JobState]int, error) {
	rs, err := r.q.query(ctx, `SELECT kind, state, count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'pending') GROUP BY kind, state`)
	type kindCount struct {
		kind  string
		state rivertype.JobState
		n     int
	}
	counts, err := collect(rs, err, func(rs rows) (kindCount, error) {
		var c kindCount
		var state string
		err := rs.Scan(&c.kind, &state, &c.n)
		c.state = rivertype.JobState(strings.TrimSpace(state))
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: count jobs by kind: %w", err)
	}
	out := map[string]map[rivertype.JobState]int{}
	for _, c := range counts {
		if out[c.kind] == nil {
			out[c.kind] = map[rivertype.JobState]int{}
		}
		out[c.kind][c.state] = c.n
	}
	return out, nil
}
