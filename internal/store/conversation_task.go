package store

import (
	"context"
	"fmt"
	"time"
)

// ConversationTaskState is where a conversation's Task stands.
type ConversationTaskState string

// The states of a conversation's Task.
const (
	// TaskCreating: the create was (or is about to be) sent and its answer
	// not stored yet; after a crash the Task is looked up by the
	// conversation named in its Description before another is created.
	TaskCreating ConversationTaskState = "creating"
	// TaskOpen: the Task exists and is not completed by ferry.
	TaskOpen ConversationTaskState = "open"
	// TaskCompleted: ferry marked the Task Completed (the first of its
	// conversation's Tasks when the conversation closed), or a teammate
	// logged the whole conversation as a completed Task before ferry made
	// one (F6.2): that Task is then the conversation's.
	TaskCompleted ConversationTaskState = "completed"
	// TaskLogging: a teammate's Log to Salesforce of the whole
	// conversation claimed the Task and is creating it. A claim older than
	// LoggingTimeout was left by a crash: whoever takes it over looks the
	// Task up, as for TaskCreating, before creating one.
	TaskLogging ConversationTaskState = "logging"
)

// LoggingTimeout is how long a TaskLogging claim is left to its holder:
// well beyond the holder's one Salesforce call.
const LoggingTimeout = 2 * time.Minute

// ConversationTask is the Salesforce Task logging one conversation for one
// Lead or Contact (F6.1): one per conversation and person, whatever
// happens.
type ConversationTask struct {
	ConnectionID   int64
	ConversationID string
	// WhoID is the Lead or Contact.
	WhoID string
	// IntercomID is the conversation's contact.
	IntercomID string
	// TaskID is the Task; "" while State is TaskCreating.
	TaskID string
	State  ConversationTaskState
	// OwnerID is the OwnerId ferry last wrote.
	OwnerID   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const conversationTaskColumns = `connection_id, conversation_id, who_id, intercom_id, task_id, state, owner_id, created_at, updated_at`

// ListConversationTasks returns the Tasks of many conversations, in the
// order they were first written (the first Task of a conversation first).
func (r *reader) ListConversationTasks(ctx context.Context, connID int64, conversationIDs []string) ([]ConversationTask, error) {
	var out []ConversationTask
	for _, ids := range chunks(conversationIDs) {
		rs, err := r.q.query(ctx, `SELECT `+conversationTaskColumns+` FROM conversation_tasks
			WHERE connection_id = $1 AND conversation_id IN (`+placeholders(2, len(ids))+`)
			ORDER BY conversation_id, created_at, who_id`, anyArgs([]any{connID}, ids)...)
		ts, err := collect(rs, err, func(rs rows) (ConversationTask, error) {
			var t ConversationTask
			var state string
			err := rs.Scan(&t.ConnectionID, &t.ConversationID, &t.WhoID, &t.IntercomID, &t.TaskID, &state, &t.OwnerID,
				timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt})
			t.State = ConversationTaskState(state)
			return t, err
		})
		if err != nil {
			return nil, fmt.Errorf("store: list conversation tasks: %w", err)
		}
		out = append(out, ts...)
	}
	return out, nil
}

// PutConversationTasks inserts or updates Tasks by connection, conversation
// and person. CreatedAt is kept from the first write (zero: now).
func (w *writer) PutConversationTasks(ctx context.Context, tasks []ConversationTask) error {
	t := now()
	for _, ct := range tasks {
		if ct.ConversationID == "" || ct.WhoID == "" || ct.State == "" {
			return fmt.Errorf("store: put conversation task: conversation, person and state are required: %w", ErrInvalid)
		}
		created := normTime(ct.CreatedAt)
		if created.IsZero() {
			created = t
		}
		if _, err := w.q.exec(ctx, `INSERT INTO conversation_tasks (`+conversationTaskColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (connection_id, conversation_id, who_id) DO UPDATE SET intercom_id = excluded.intercom_id,
				task_id = excluded.task_id, state = excluded.state, owner_id = excluded.owner_id, updated_at = excluded.updated_at`,
			ct.ConnectionID, ct.ConversationID, ct.WhoID, ct.IntercomID, ct.TaskID, string(ct.State), ct.OwnerID, created, t); err != nil {
			return w.wrapWrite(err, "store: put conversation task of conversation %s", ct.ConversationID)
		}
	}
	return nil
}

// ClaimConversationTasks inserts the Tasks of conversation and person not
// stored yet, each in its State (TaskCreating or TaskLogging, TaskID
// empty), and reports for each whether this call inserted it. It is the one
// place where "this conversation already has a Task for this person" is
// decided: the engine's conversation Tasks (F6.1) and a teammate's Log to
// Salesforce (F6.2) both claim here before creating anything, so one Task
// is made whichever comes first, also across instances (the insert is
// atomic on the table's key).
func (w *writer) ClaimConversationTasks(ctx context.Context, tasks []ConversationTask) ([]bool, error) {
	t := now()
	out := make([]bool, len(tasks))
	for i, ct := range tasks {
		if ct.ConversationID == "" || ct.WhoID == "" || ct.TaskID != "" || ct.State != TaskCreating && ct.State != TaskLogging {
			return nil, fmt.Errorf("store: claim conversation task: conversation, person and a claiming state are required: %w", ErrInvalid)
		}
		n, err := w.q.exec(ctx, `INSERT INTO conversation_tasks (`+conversationTaskColumns+`)
			VALUES ($1, $2, $3, $4, '', $5, $6, $7, $7)
			ON CONFLICT (connection_id, conversation_id, who_id) DO NOTHING`,
			ct.ConnectionID, ct.ConversationID, ct.WhoID, ct.IntercomID, string(ct.State), ct.OwnerID, t)
		if err != nil {
			return nil, w.wrapWrite(err, "store: claim conversation task of conversation %s", ct.ConversationID)
		}
		out[i] = n == 1
	}
	return out, nil
}

// SetConversationTaskIf writes ct's TaskID, State and OwnerID over the
// row of its conversation and person while that row is in state from and,
// unless writtenBefore is zero, was last written before it. True when it
// did: only one caller can move a row out of a state.
func (w *writer) SetConversationTaskIf(ctx context.Context, ct ConversationTask, from ConversationTaskState, writtenBefore time.Time) (bool, error) {
	if ct.State == "" {
		return false, fmt.Errorf("store: set conversation task: state is required: %w", ErrInvalid)
	}
	q := `UPDATE conversation_tasks SET task_id = $1, state = $2, owner_id = $3, updated_at = $4
		WHERE connection_id = $5 AND conversation_id = $6 AND who_id = $7 AND state = $8`
	args := []any{ct.TaskID, string(ct.State), ct.OwnerID, now(), ct.ConnectionID, ct.ConversationID, ct.WhoID, string(from)}
	if !writtenBefore.IsZero() {
		q += ` AND updated_at < $9`
		args = append(args, normTime(writtenBefore))
	}
	n, err := w.q.exec(ctx, q, args...)
	if err != nil {
		return false, w.wrapWrite(err, "store: set conversation task of conversation %s", ct.ConversationID)
	}
	return n == 1, nil
}

// DropConversationTaskIf deletes the row of ct's conversation and person
// while it is in state from with no Task: a claim whose create failed, so
// that a later attempt may claim it again.
func (w *writer) DropConversationTaskIf(ctx context.Context, ct ConversationTask, from ConversationTaskState) (bool, error) {
	n, err := w.q.exec(ctx, `DELETE FROM conversation_tasks
		WHERE connection_id = $1 AND conversation_id = $2 AND who_id = $3 AND state = $4 AND task_id = ''`,
		ct.ConnectionID, ct.ConversationID, ct.WhoID, string(from))
	if err != nil {
		return false, w.wrapWrite(err, "store: drop conversation task of conversation %s", ct.ConversationID)
	}
	return n == 1, nil
}
