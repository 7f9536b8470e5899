package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// exerciseConversationTasks: one row per conversation and person, written
// "creating" before the create and updated after, keeping its first time
// and order.
func exerciseConversationTasks(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	row := func(conv, who string, state store.ConversationTaskState, task string) store.ConversationTask {
		return store.ConversationTask{ConnectionID: c.ID, ConversationID: conv, WhoID: who, IntercomID: "ic1", TaskID: task, State: state}
	}
	inTx(t, s, func(tx store.Tx) error {
		return tx.PutConversationTasks(ctx, []store.ConversationTask{row("7", "00Q1", store.TaskCreating, ""), row("7", "00Q2", store.TaskCreating, "")})
	})
	before, err := s.ListConversationTasks(ctx, c.ID, []string{"7"})
	noErr(t, err)
	inTx(t, s, func(tx store.Tx) error {
		r := row("7", "00Q1", store.TaskOpen, "00T1")
		r.OwnerID = "005A"
		return tx.PutConversationTasks(ctx, []store.ConversationTask{r, row("8", "00Q1", store.TaskCompleted, "00T3")})
	})
	got, err := s.ListConversationTasks(ctx, c.ID, []string{"7", "8", "9"})
	noErr(t, err)
	if len(got) != 3 || got[0].WhoID != "00Q1" || got[0].TaskID != "00T1" || got[0].State != store.TaskOpen || got[0].OwnerID != "005A" ||
		!got[0].CreatedAt.Equal(before[0].CreatedAt) || got[1].WhoID != "00Q2" || got[1].State != store.TaskCreating ||
		got[2].ConversationID != "8" || got[2].State != store.TaskCompleted {
		t.Fatalf("conversation tasks = %+v", got)
	}
	other := newConnection(t, s)
	if rows, err := s.ListConversationTasks(ctx, other.ID, []string{"7"}); err != nil || len(rows) != 0 {
		t.Fatalf("another connection sees %+v (%v)", rows, err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.PutConversationTasks(ctx, []store.ConversationTask{{ConnectionID: c.ID, ConversationID: "7"}})
	})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a row without person and state: %v", err)
	}
}
