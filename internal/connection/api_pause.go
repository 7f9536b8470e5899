package connection

import (
	"context"

	"github.com/ferrysync/ferry/internal/store"
)

// APIPauseState is the connection state for a cause that pauses the
// Salesforce API for a while (the org's daily limit used up, API access
// off), or "" for other causes.
func APIPauseState(cause string) store.ConnectionState {
	switch cause {
	case store.CauseAPILimitReached:
		return store.StateAPILimitReached
	case store.CauseAPIDisabled:
		return store.StateAPIDisabled
	}
	return ""
}

// PauseAPI records that Salesforce refuses the connection's API calls for
// cause (store.CauseAPILimitReached or store.CauseAPIDisabled): the
// connection shows the matching state and banner while it lasts. Unlike
// Disconnect it needs no reconnect: the sync engine checks the org's limits
// with backoff and calls Connected when calls are accepted again. A
// connection that is disconnected (for a reason a reconnect must fix)
// stays so.
func (h *Health) PauseAPI(ctx context.Context, connID int64, cause string, err error) {
	state := APIPauseState(cause)
	if h == nil || state == "" {
		return
	}
	var was store.Connection
	uerr := h.Store.InTx(ctx, func(tx store.Tx) error {
		var gerr error
		if was, gerr = tx.GetConnection(ctx, connID); gerr != nil {
			return gerr
		}
		if was.State != store.StateConnected && !was.State.APIPaused() {
			return nil
		}
		return tx.UpdateConnectionState(ctx, connID, state, cause)
	})
	if uerr != nil {
		h.Logger.ErrorContext(ctx, "record Salesforce API pause", "connection", connID, "error", uerr)
		return
	}
	if was.State != state {
		h.Logger.WarnContext(ctx, "Salesforce refuses API calls; sync waits and checks until they are accepted again",
			"connection", connID, "state", string(state), "error", err)
	}
}
