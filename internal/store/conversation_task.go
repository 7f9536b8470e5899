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
	// conversation's Tasks when the conversation closed).
	TaskCompleted ConversationTaskState = "completed"
)

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
