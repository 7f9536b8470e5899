// Package bench measures ferry end to end: both emulators and one or more
// ferry instances run in one process, changes are driven on both sides and
// the harness reports API calls per synced change, echo writes, latency each
// way, throughput and peak memory (`ferry bench`, issue 5).
//
// Measuring must not perturb what is measured, so nothing here calls the
// emulators' APIs while a scenario runs. Changes are made through the
// emulators' Go methods (the Messenger and the Salesforce UI as a person
// would), API calls are counted with the emulators' own counters, and a
// change has landed when ferry's write carrying its value succeeds at the
// emulator: a Recorder wraps each emulator's handler and watches the writes
// pass (it observes, it never changes a request or a response). The final
// Salesforce values are then checked against the emulator's in-memory
// records.
//
// Two limits of the set-up shape the numbers and are reported with them.
// Memory measured in process includes the emulators (Options.Command runs
// ferry as a process of its own, so its peak RSS is measured apart). The
// Intercom emulator's webhook queues hold 4,096 deliveries and drop beyond,
// so a burst is fed no faster than the emulator delivers it.
//
// The same harness runs the resilience tests: a ferry process killed with
// SIGKILL mid-burst, two instances on one PostgreSQL, and injected faults.
package bench
