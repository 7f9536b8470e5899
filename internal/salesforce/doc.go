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
// Secrets never appear in errors or logs: Token redacts itself when printed
// or logged, and request errors name the method and path only.
package salesforce
