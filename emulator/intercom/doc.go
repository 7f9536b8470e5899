// Package intercom is a local emulator of the Intercom REST API 2.11 and its
// webhooks, for development, demos and tests of ferry.
//
// A Server keeps the whole workspace in memory, is an http.Handler and is
// safe for concurrent use. It serves Intercom's own paths with Intercom's
// JSON shapes, status codes, error.list bodies and X-RateLimit-* headers:
//
//	GET /me, /admins, /admins/{id}, /teams
//	/contacts (create, get, PUT, DELETE, archive, unarchive, merge, list,
//	  search, companies, tags), /companies (create-or-update, lookup by
//	  company_id or name, list, POST /companies/list, scroll, PUT, DELETE,
//	  contacts), /conversations (create, get, list, search, reply, parts),
//	  POST /messages, /data_attributes, /events, /tags
//	GET /oauth (consent page), POST /auth/eagle/token
//
// Intercom-Version 2.11 to 2.14 are accepted with the same shapes; any other
// value is 400 intercom_version_invalid. Calls need a bearer token from
// Options.Tokens or from the OAuth flow.
//
// # Webhooks
//
// Every change, whether made through the API, the control surface or the Go
// methods below, is sent as a notification_event to each subscription,
// signed with X-Hub-Signature (HMAC-SHA1 of the raw body keyed with
// Options.ClientSecret). Deliveries go through bounded queues and a few
// workers, never on the request path; those about one object keep their
// order. A failed delivery is retried once after Options.WebhookRetryDelay;
// a 410 unsubscribes the URL. BulkLoadContacts and BulkLoadCompanies send
// no webhooks.
//
// # Control surface
//
// Paths under /__emulator/ play the Messenger and the inbox UI, and turn the
// test knobs. They need no authentication (the emulator is for loopback
// use). Each has a Go method of the same meaning:
//
//	POST /__emulator/contacts                      MessengerCreateContact
//	POST /__emulator/contacts/{id}/attributes      MessengerUpdateContact
//	POST /__emulator/contacts/{id}/owner           SetContactOwner
//	POST /__emulator/admins {"name","email"}       AddTeammate
//	POST /__emulator/conversations                 StartConversation
//	POST /__emulator/conversations/{id}/reply      UserReply
//	POST /__emulator/conversations/{id}/assign     AssignConversation
//	POST /__emulator/conversations/{id}/close      CloseConversation
//	POST /__emulator/conversations/{id}/open       ReopenConversation
//	POST /__emulator/tokens/revoke {"token"}       RevokeToken
//	POST /__emulator/companies/enabled {"enabled"} SetCompaniesEnabled
//	POST /__emulator/rate-limit {"per_minute"}     SetRateLimit
//	POST /__emulator/faults {"latency_ms","error_rate","error_status"}  SetFaults
//	POST /__emulator/webhooks {"url"}              AddWebhook
//	POST /__emulator/webhooks/ping                 Ping
//	GET  /__emulator/usage                         Usage
//
// # The inbox
//
// The emulator also plays Intercom's inbox for a Canvas Kit app added to
// the conversation details (Options.InboxApp, SetInboxApp): opening the app
// beside a conversation sends the app a signed Initialize request, using a
// component of its canvas a signed Submit request (X-Body-Signature: the
// hex HMAC-SHA256 of the body keyed with the app's client secret), with
// workspace_id, workspace_region, admin, conversation, contact (or
// customer), context and, for Submit, component_id, input_values and
// current_canvas with its stored_data. Every answer is checked by
// ValidateCanvasResponse; an invalid one is logged and shown as "Something
// went wrong", as Intercom does. GET /__emulator/inbox is the inbox page:
// conversations on the left, the app's canvas rendered on the right.
//
//	GET  /__emulator/inbox-app                     InboxAppConfig
//	POST /__emulator/inbox-app {"initialize_url","submit_url","client_secret","contact_key"}  SetInboxApp
//	POST /__emulator/inbox/conversations/{id}/open {"admin_id"}  OpenInboxApp
//	POST /__emulator/inbox/conversations/{id}/submit {"admin_id","component_id","input_values","stored_data","stale"}  ClickComponent
//	GET  /__emulator/inbox/conversations/{id}      InboxShown
//	GET  /__emulator/inbox                         the inbox page
//
// For tests and benchmarks there are also CustomAttribute (define a data
// attribute), BulkLoadContacts and BulkLoadCompanies (fast inserts without
// webhooks, rate limits or call accounting, e.g. 200,000 contacts),
// APICalls, AddToken, SetWebhookRetryDelay, AppID and OwnAdminID.
//
// Search by email and by equality on a custom attribute (and by id and
// external_id) is served from in-memory indexes; other filters scan.
package intercom
