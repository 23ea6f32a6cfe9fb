// Package metering meters every activity attempt for billing and keeps the
// readings in a ledger on the orchestrator database.
//
// # Where readings come from
//
// A worker interceptor times each attempt on the monotonic clock and writes
// its reading before the SDK reports the attempt to Temporal (SourceWorker).
// Writes from concurrent attempts share one transaction (group commit), so
// the cost per attempt falls as load rises. An attempt whose worker died
// never reports itself; the Reconciler reads the histories of closed runs
// and adds what is missing: the timed final attempt of each activity
// (SourceHistory, timed by the server's event times) and the earlier
// attempts the history only implies through the final attempt number
// (SourceInferred, billed 0 ms because nobody timed them).
//
// # Exactly once
//
// The ledger's primary key is (workflow id, run id, activity id, attempt):
// writing a reading twice changes nothing, and a worker reading replaces a
// reconciled one (it is the better measurement) but never the reverse.
//
// # Rounding
//
// DurationUs is the elapsed monotonic time truncated to whole microseconds.
// BilledMs is DurationUs rounded up to the next whole millisecond, with no
// minimum: 0 µs bills 0 ms, 1 µs bills 1 ms, 1000 µs bills 1 ms, 1001 µs
// bills 2 ms.
//
// # Run totals
//
// When a run of a fnchain plan ends, a workflow interceptor runs a local
// activity that sums the run's billed milliseconds in the ledger and upserts
// it as the search attribute FnchainBilledMs. The local activity's result is
// in the history, so replays upsert the same value.
package metering
