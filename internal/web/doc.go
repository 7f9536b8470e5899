// Package web is ferry's HTTP surface: the admin JSON API under /api/v1,
// the OAuth flows that connect Salesforce and Intercom, the Intercom webhook
// endpoint, health and readiness probes and Prometheus metrics (F1, F8).
//
// Build it with New and serve Handler:
//
//	srv := web.New(web.Options{Config: cfg, Store: st, Manager: mgr, Logger: log,
//		Registry: reg, DefaultConnectionID: defaultID})
//	http.ListenAndServe(cfg.Listen, srv.Handler())
//
// # Authentication
//
// Everything under /api/v1 and /connect/ needs the admin: the admin token as
// "Authorization: Bearer $FERRY_ADMIN_TOKEN" (compared in constant time), or
// the session cookie that POST /api/v1/session {"token": …} sets (HttpOnly,
// SameSite=Lax, 12 hours, HMAC-signed with a key derived from the secret key
// and the admin token, so every instance accepts it and rotating the token
// ends it). OAuth callbacks are authenticated by their state, webhooks by
// X-Hub-Signature.
//
// # Routes
//
//	GET  /connect/salesforce?connection=ID[&sandbox=1|&login_url=https://X.my.salesforce.com][&redirect_to=/path]
//	GET  /oauth/salesforce/callback        code exchange with PKCE, identity, tokens stored encrypted
//	GET  /connect/intercom?connection=ID[&redirect_to=/path]
//	GET  /oauth/intercom/callback          code exchange, GET /me for the workspace
//	POST /webhooks/intercom, HEAD …        verified, stored and enqueued in one transaction
//	POST|DELETE /api/v1/session
//	GET  /api/v1/connections, POST /api/v1/connections {"name"}
//	GET  /api/v1/connections/{id}, POST /api/v1/connections/{id}/disconnect {"purge"}
//	GET|PUT /api/v1/settings[?connection=ID]     PUT: document, or {"version", "settings"}; If-Match
//	GET  /api/v1/sync-errors?connection=&object=&code=&record=&resolved=1&limit=&offset=
//	GET  /api/v1/sync-errors/{id}, POST /api/v1/sync-errors/{id}/retry, POST /api/v1/sync-errors/retry
//	GET  /api/v1/history?record=ID[&connection=&limit=&before=]
//	GET  /api/v1/usage?connection=&days=N
//	GET  /api/v1/reviews[?resolved=1], POST /api/v1/reviews/{id}/resolve {"salesforce_id"}, {"intercom_id"} or {"skip": true}
//	GET  /healthz, /readyz, /metrics
//
// API calls without ?connection= act on the default connection. Errors are
// {"error": {"code", "message"}} with a fitting status; a rejected settings
// document also lists "problems" [{"path", "message"}], every one found.
//
// # OAuth state
//
// A state is a random nonce, the Salesforce login host of the flow, and an
// HMAC over both and the provider, so a tampered state is refused before the
// database is asked. The store keeps it single use for 10 minutes with the
// PKCE verifier. A callback exchanges the code at the login host the flow
// started with (production, sandbox or My Domain).
//
// Nothing here logs tokens, codes, states, secrets or webhook bodies: request
// logs name the route and path, never the query string.
package web
