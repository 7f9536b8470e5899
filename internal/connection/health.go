package connection

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// Side names one of the two systems of a connection.
type Side string

// The two sides.
const (
	SideSalesforce Side = "salesforce"
	SideIntercom   Side = "intercom"
)

// CauseIntercomUnauthorized: Intercom refused ferry's access token (revoked,
// or the app was uninstalled).
const CauseIntercomUnauthorized = "intercom_unauthorized"

// ErrNotConnected: the connection has no credential for a side yet.
var ErrNotConnected = errors.New("not connected")

// SalesforceCause names the connection-breaking cause an error from the
// Salesforce client stands for (F1.3), or "" when the error does not break
// the connection (a validation error, a timeout, a 5xx).
func SalesforceCause(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, salesforce.ErrTokenRevoked), errors.Is(err, salesforce.ErrNoRefreshToken),
		errors.Is(err, salesforce.ErrSessionInvalid):
		// Salesforce answers a revoked token, an expired one and one dropped
		// because the user approved the app a sixth time all with
		// invalid_grant; the banner text explains both.
		return store.CauseTokenRevoked
	case errors.Is(err, salesforce.ErrAPIDisabled):
		return store.CauseAPIDisabled
	case errors.Is(err, salesforce.ErrRequestLimitExceeded):
		return store.CauseAPILimitReached
	}
	return ""
}

// IntercomCause is SalesforceCause for the Intercom client.
func IntercomCause(err error) string {
	if err != nil && intercom.IsUnauthorized(err) {
		return CauseIntercomUnauthorized
	}
	return ""
}

// CauseMessage is the reconnect banner's text for a cause.
func CauseMessage(cause string) string {
	switch cause {
	case store.CauseTokenRevoked:
		return "Salesforce refused ferry's refresh token. Someone removed ferry's OAuth token in Salesforce, or the connecting user approved the app more than five times (Salesforce keeps five approvals per user per app and silently revokes the oldest). Reconnect Salesforce; sync resumes where it stopped, without re-importing."
	case store.CauseApprovalsExceeded:
		return "The connecting Salesforce user approved ferry more than five times; Salesforce revoked ferry's oldest token. Reconnect, or connect with a different Salesforce user."
	case store.CauseAPIDisabled:
		return "Salesforce refuses ferry's API calls: API access is turned off for this org or for the connected user (API_DISABLED_FOR_ORG). In Salesforce, give the connected user's profile or permission set the \"API Enabled\" permission (the org's edition must include API access). Sync is paused meanwhile, changes keep queueing, and it resumes by itself within one poll interval of Salesforce accepting calls again; no reconnect is needed."
	case store.CauseAPILimitReached:
		return "Salesforce refuses ferry's API calls: the org's daily API request allowance is used up (REQUEST_LIMIT_EXCEEDED), by ferry and the org's other apps together, or what is left is kept for inbox actions. Sync is paused meanwhile, changes keep queueing, and it resumes by itself within one poll interval of calls being available again (Salesforce frees them over a rolling 24 hours). To resume sooner, raise the org's API allowance in Salesforce or reduce other integrations' calls."
	case CauseIntercomUnauthorized:
		return "Intercom refused ferry's access token (revoked, or the app was uninstalled). Reconnect Intercom."
	case store.CauseUserDisconnected:
		return "An admin disconnected this connection."
	case "":
		return ""
	}
	return "Disconnected: " + cause
}

// Health records connection state changes in the store and the log.
type Health struct {
	Store  store.Store
	Logger *slog.Logger
}

// Disconnect marks the connection disconnected with cause. Work for it stays
// queued; it resumes after Reconnected.
func (h *Health) Disconnect(ctx context.Context, connID int64, side Side, cause string, err error) {
	if h == nil {
		return
	}
	uerr := h.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.UpdateConnectionState(ctx, connID, store.StateDisconnected, cause)
	})
	if uerr != nil {
		h.Logger.ErrorContext(ctx, "record disconnection", "connection", connID, "error", uerr)
		return
	}
	h.Logger.WarnContext(ctx, "connection disconnected", "connection", connID, "side", side, "cause", cause, "error", err)
}

// Connected marks the connection connected, clearing any cause.
func (h *Health) Connected(ctx context.Context, connID int64) error {
	return h.Store.InTx(ctx, func(tx store.Tx) error {
		return tx.UpdateConnectionState(ctx, connID, store.StateConnected, "")
	})
}
