package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// Sentinel causes. Test with errors.Is; the concrete *APIError or
// *OAuthError (errors.As) carries Salesforce's own code and message.
var (
	// ErrTokenRevoked: the refresh token is no longer valid (revoked, expired,
	// or dropped because the user approved the app a sixth time). Salesforce
	// answers all of these with invalid_grant; the user must reconnect.
	ErrTokenRevoked = errors.New("salesforce: refresh token revoked or expired")
	// ErrSessionInvalid: a REST call was refused with 401 INVALID_SESSION_ID
	// even after a refresh.
	ErrSessionInvalid = errors.New("salesforce: session invalid")
	// ErrAPIDisabled: API access is disabled for the org or the user
	// (API_DISABLED_FOR_ORG).
	ErrAPIDisabled = errors.New("salesforce: API disabled for org")
	// ErrRequestLimitExceeded: the org's daily API request limit is exhausted
	// (REQUEST_LIMIT_EXCEEDED). It clears only as the rolling 24 h window
	// moves, so it is not transient.
	ErrRequestLimitExceeded = errors.New("salesforce: request limit exceeded")
	// ErrNotFound: the record or resource does not exist (NOT_FOUND, 404).
	ErrNotFound = errors.New("salesforce: not found")
	// ErrNoRefreshToken: a refresh was needed but the token has no refresh
	// token (the refresh_token scope was not granted).
	ErrNoRefreshToken = errors.New("salesforce: no refresh token")
)

// Error codes that ferry's callers branch on. Salesforce sends many more;
// APIError.Code carries whatever it sent.
const (
	CodeAPIDisabledForOrg                  = "API_DISABLED_FOR_ORG"
	CodeCannotUpdateConvertedLead          = "CANNOT_UPDATE_CONVERTED_LEAD"
	CodeDuplicateValue                     = "DUPLICATE_VALUE"
	CodeDuplicatesDetected                 = "DUPLICATES_DETECTED"
	CodeEntityIsDeleted                    = "ENTITY_IS_DELETED"
	CodeInvalidField                       = "INVALID_FIELD"
	CodeInvalidFieldForInsertUpdate        = "INVALID_FIELD_FOR_INSERT_UPDATE"
	CodeInvalidOrNullForRestrictedPicklist = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
	CodeInvalidSessionID                   = "INVALID_SESSION_ID"
	CodeInvalidType                        = "INVALID_TYPE"
	CodeMalformedQuery                     = "MALFORMED_QUERY"
	CodeNotFound                           = "NOT_FOUND"
	CodeRequestLimitExceeded               = "REQUEST_LIMIT_EXCEEDED"
	CodeRequiredFieldMissing               = "REQUIRED_FIELD_MISSING"
	CodeServerUnavailable                  = "SERVER_UNAVAILABLE"
	CodeUnableToLockRow                    = "UNABLE_TO_LOCK_ROW"
)

// ErrorItem is one element of Salesforce's REST error array.
type ErrorItem struct {
	Code    string   `json:"errorCode"`
	Message string   `json:"message"`
	Fields  []string `json:"fields,omitempty"`
}

// APIError is a REST call that Salesforce answered with an error status.
// Code, Message and Fields come from the first element of the error array;
// Errors keeps them all.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
	Fields     []string
	Errors     []ErrorItem
}

// Error formats the error without any request detail that could hold
// secrets.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Fields) > 0 {
		b.WriteString(" [" + strings.Join(e.Fields, ", ") + "]")
	}
	return b.String()
}

// Is maps Salesforce codes to this package's sentinel causes.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrAPIDisabled:
		return e.Code == CodeAPIDisabledForOrg
	case ErrRequestLimitExceeded:
		return e.Code == CodeRequestLimitExceeded && !isConcurrencyLimit(e.Message)
	case ErrSessionInvalid:
		return e.Code == CodeInvalidSessionID
	case ErrNotFound:
		return e.Code == CodeNotFound || (e.Code == "" && e.StatusCode == 404)
	}
	return false
}

// parseAPIError builds an APIError from an error response. Salesforce sends
// an array; a few endpoints (and proxies in front of it) send an object or
// plain text, which is kept, shortened, as the message.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var items []ErrorItem
	if err := json.Unmarshal(body, &items); err == nil && len(items) > 0 {
		e.Errors = items
	} else {
		var one ErrorItem
		if err := json.Unmarshal(body, &one); err == nil && (one.Code != "" || one.Message != "") {
			e.Errors = []ErrorItem{one}
		}
	}
	if len(e.Errors) > 0 {
		e.Code, e.Message, e.Fields = e.Errors[0].Code, e.Errors[0].Message, e.Errors[0].Fields
		return e
	}
	e.Message = shorten(strings.TrimSpace(string(body)), 300)
	return e
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// RecordError is one error of one record in a Collections result. Its JSON
// names the code statusCode, unlike the REST error array.
type RecordError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// Error formats the record error as CODE: message [fields].
func (e *RecordError) Error() string {
	s := e.StatusCode + ": " + e.Message
	if len(e.Fields) > 0 {
		s += " [" + strings.Join(e.Fields, ", ") + "]"
	}
	return s
}

// Is maps record-level codes to the sentinel causes, as APIError does.
func (e *RecordError) Is(target error) bool {
	return (&APIError{Code: e.StatusCode}).Is(target)
}

// OAuthError is an error from the token or revoke endpoint, e.g.
// 400 {"error":"invalid_grant","error_description":"expired access/refresh token"}.
type OAuthError struct {
	StatusCode  int
	Grant       string // grant_type of the failed token request; "" for revoke
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

// Error formats the OAuth error code and description.
func (e *OAuthError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is reports invalid_grant on a refresh as ErrTokenRevoked. (On a code
// exchange or password login, invalid_grant means a bad code or password.)
func (e *OAuthError) Is(target error) bool {
	return target == ErrTokenRevoked && e.Code == "invalid_grant" && e.Grant == "refresh_token"
}

// IsTransient reports whether retrying the same request later may succeed:
// Salesforce 5xx, UNABLE_TO_LOCK_ROW, the concurrent-request limit, network
// failures and timeouts. The daily REQUEST_LIMIT_EXCEEDED is not transient:
// the limit is a rolling 24 h window, so retrying with backoff only burns
// attempts.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.Code == CodeUnableToLockRow || apiErr.Code == CodeServerUnavailable ||
			(apiErr.Code == CodeRequestLimitExceeded && isConcurrencyLimit(apiErr.Message))
	}
	var recErr *RecordError
	if errors.As(err, &recErr) {
		return recErr.StatusCode == CodeUnableToLockRow
	}
	var oauthErr *OAuthError
	if errors.As(err, &oauthErr) {
		return oauthErr.StatusCode >= 500
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// isConcurrencyLimit reports the REQUEST_LIMIT_EXCEEDED variant for too many
// concurrent long-running requests ("ConcurrentPerOrgLongTxn Limit
// exceeded."), which clears within seconds, unlike the daily limit
// ("TotalRequests Limit exceeded.").
func isConcurrencyLimit(msg string) bool {
	return strings.HasPrefix(msg, "Concurrent")
}
