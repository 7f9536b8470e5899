// Package jobs holds ferry's queue jobs: their arguments (what is stored in
// the queue, committed with the data it concerns) and their workers.
package jobs

// IntercomEventArgs asks a worker to process one stored Intercom webhook
// event: the job the webhook intake enqueued per webhook before drain jobs
// (IntercomDrainArgs). The intake no longer enqueues it; its worker stays
// for the jobs a store holds from before.
type IntercomEventArgs struct {
	ConnectionID int64 `json:"connection_id"`
	EventID      int64 `json:"event_id"`
}

// Kind implements river.JobArgs.
func (IntercomEventArgs) Kind() string { return "intercom_event" }

// PollArgs asks a worker to poll a connection's Salesforce org for changes
// since the stored watermarks. Inserted unique per connection and period, so
// there is one poll per connection per interval however many instances run.
type PollArgs struct {
	ConnectionID int64 `json:"connection_id"`
}

// Kind implements river.JobArgs.
func (PollArgs) Kind() string { return "salesforce_poll" }

// RetryRecordArgs re-syncs one record from its current Intercom state. The
// engine enqueues one with every sync error, scheduled far ahead; the
// sync-errors page's "retry" makes it run at once (store.RetryJob), and a
// success resolves the error (F8.2).
type RetryRecordArgs struct {
	ConnectionID int64  `json:"connection_id"`
	IntercomID   string `json:"intercom_id"`
	// Refused marks the retry run at once after Salesforce refused a field
	// ferry read as writable (it became read-only): a job of its own, apart
	// from the one waiting for the admin, which the record's other sync
	// errors share.
	Refused bool `json:"refused,omitempty"`
}

// Kind implements river.JobArgs.
func (RetryRecordArgs) Kind() string { return "retry_record" }

// InitialSyncArgs runs (or resumes) the initial sync of a connection at
// connect: match existing records in both systems and enrich Intercom
// (F3.8).
type InitialSyncArgs struct {
	ConnectionID int64 `json:"connection_id"`
	// Run is the run this job is for: matching restarted by a settings
	// change is a new run with its own job, and a job whose run was
	// superseded does nothing. Empty: whichever run is current.
	Run string `json:"run,omitempty"`
}

// Kind implements river.JobArgs.
func (InitialSyncArgs) Kind() string { return "initial_sync" }

// MapRecordArgs maps an Intercom record to the Salesforce record the admin
// picked for an ambiguous match (F2.2) and syncs the pair both ways once
// (F3.4). Enqueue it in the transaction that resolves the review.
type MapRecordArgs struct {
	ConnectionID int64  `json:"connection_id"`
	IntercomID   string `json:"intercom_id"`
	SalesforceID string `json:"salesforce_id"`
}

// Kind implements river.JobArgs.
func (MapRecordArgs) Kind() string { return "map_record" }

// CleanupArgs deletes what the store keeps only for a while: history past
// its retention, processed webhook events past the redelivery window. A
// periodic job; River's own cleaner deletes finished jobs.
type CleanupArgs struct{}

// Kind implements river.JobArgs.
func (CleanupArgs) Kind() string { return "cleanup" }
