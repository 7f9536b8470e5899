// Package intercom is ferry's client for the Intercom REST API (version 2.11)
// and its intake for Intercom webhooks.
//
// The client is plain net/http: typed models, typed errors, cursor iterators
// for list and search, rate-limit awareness fed by Intercom's X-RateLimit-*
// headers, and a configurable base URL so the same code talks to the US, EU
// or AU region or to a local emulator. The webhook handler verifies
// X-Hub-Signature, parses the notification envelope into typed events and
// hands them to a Sink without blocking.
package intercom
