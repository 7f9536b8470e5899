// Package salesforce is ferry's thin client for the Salesforce REST API on
// plain net/http: the OAuth 2.0 web-server flow with PKCE, token refresh with
// a persistence hook, SOQL queries as iterators, sObject CRUD and upsert,
// sObject Collections in chunks of 200, Composite, describe, limits, the
// replication endpoints (updated/deleted) and API-usage accounting.
//
// Why not a library: ferry needs the refresh-token grant with pluggable,
// lock-protected refresh, exact error codes for its sync-error page, the
// Sforce-Limit-Info header on every call, and per-record Collections results;
// none of the maintained Go clients offers all of that, and the wire format
// is small.
//
// # Tokens
//
// Config talks to the OAuth endpoints (AuthCodeURL, Exchange, RefreshToken,
// Revoke). A Client takes its token from a TokenSource; when a call is
// refused with 401 INVALID_SESSION_ID it calls TokenSource.Refresh once and
// retries the call once. RefreshingSource is the in-memory default with an
// OnRefresh hook; a daemon running several instances implements
// TokenSource itself (lock the row, re-read, refresh if still stale).
//
// # Errors
//
// A refused REST call is an *APIError with Salesforce's HTTP status,
// errorCode, message and fields; a refused token request is an
// *OAuthError. Connection-breaking causes are sentinels for errors.Is:
// ErrTokenRevoked (invalid_grant on refresh: revoked, expired, or pushed out
// by a sixth approval, which Salesforce does not tell apart),
// ErrAPIDisabled, ErrRequestLimitExceeded (the daily limit) and
// ErrSessionInvalid. IsTransient says whether a later retry may succeed.
// Collections report per-record *RecordError values in Result.
//
// Secrets never appear in errors or logs: Token redacts itself when printed
// or logged, and request errors name the method and path only (never the
// query string, which may hold personal data in SOQL).
package salesforce
