package intercom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors matched by errors.Is against an *APIError.
var (
	// ErrUnauthorized matches a 401: the token is invalid, revoked or missing.
	// The connection needs to be re-authorised; retrying will not help.
	ErrUnauthorized = errors.New("intercom: unauthorized")
	// ErrNotFound matches a 404 (including merged-away contacts).
	ErrNotFound = errors.New("intercom: not found")
	// ErrConflict matches a 409, e.g. a duplicate contact.
	ErrConflict = errors.New("intercom: conflict")
	// ErrRateLimited matches a 429 that was still returned after the
	// client's own retries.
	ErrRateLimited = errors.New("intercom: rate limited")
)

// APIError is an error response from Intercom: the HTTP status plus the
// first entry of the "error.list" body.
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int
	// Code is Intercom's machine-readable code, e.g. "not_found".
	Code string
	// Message is Intercom's human-readable message.
	Message string
	// Field names the offending request field when Intercom gives one.
	Field string
	// RequestID is Intercom's request id, useful in support tickets.
	RequestID string
	// Errors holds every entry of the error list (Code/Message/Field above
	// repeat the first one).
	Errors []ErrorItem
}

// ErrorItem is one entry of Intercom's "error.list".
type ErrorItem struct {
	// Code is the machine-readable code.
	Code string `json:"code"`
	// Message is the human-readable message.
	Message string `json:"message,omitempty"`
	// Field is the offending request field, if any.
	Field string `json:"field,omitempty"`
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "intercom: %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Field != "" {
		b.WriteString(" (field " + e.Field + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	return b.String()
}

// Is lets errors.Is match the package's sentinel errors by status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// IsRetryable reports whether err is worth retrying later unchanged: rate
// limits, server errors and transport failures. Client errors (4xx other
// than 429) are not, since the same request would fail the same way.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode >= 500
	}
	// Context cancellation is the caller's decision, not a transient failure.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var te *transportError
	return errors.As(err, &te)
}

// IsUnauthorized reports whether err is a 401, which is how Intercom
// answers a revoked, unknown or missing token.
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// IsNotFound reports whether err is a 404.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is a 409 and, for a duplicate contact,
// returns the id of the existing contact parsed from the message
// "A contact matching those details already exists with id=…".
func IsConflict(err error) (existingID string, ok bool) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict {
		return "", false
	}
	for _, it := range append([]ErrorItem{{Message: ae.Message}}, ae.Errors...) {
		if _, after, found := strings.Cut(it.Message, "id="); found {
			id := strings.TrimSpace(after)
			if i := strings.IndexFunc(id, func(r rune) bool {
				return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
			}); i >= 0 {
				id = id[:i]
			}
			if id != "" {
				return id, true
			}
		}
	}
	return "", true
}

// transportError wraps a failure to get any HTTP response at all.
type transportError struct{ err error }

func (e *transportError) Error() string { return "intercom: transport: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }
