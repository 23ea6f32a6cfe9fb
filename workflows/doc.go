// Package workflows runs compiled fnchain plans (package dsl) durably on
// Temporal: one dynamic workflow interprets every deployed definition, so the
// Temporal workflow type is the DSL name and deploying a workflow never
// re-registers anything.
//
// # How a run finds its plan
//
// Start puts the plan JSON in the run's memo under MemoPlan and the short
// definition hash in the FnchainDefinition search attribute. The workflow
// looks the hash up in the worker's plan cache and decodes the memo only on a
// miss, so a definition is compiled once per worker, not once per task. The
// run input is the user's input only.
//
// The Go SDK copies the memo and search attributes of the current run into
// the continue-as-new command, so a continued run keeps the exact plan it
// started with; child runs get the memo explicitly.
//
// # Temporal ids and names
//
// Activity ids are step ids. A step that runs more than once in a run gets a
// suffix per enclosing repeat: "[i]" for foreach element i (0-based) and "#n"
// for loop iteration n (0-based), outer first, e.g. "charge[3]#0". Step names
// become activity, timer and child summaries. Child runs get the workflow id
// "<parent id>/<step id><suffix>".
//
// # History size
//
// A foreach over more than Options.ForeachBatchSize elements runs its
// elements in child runs of the same plan, one per batch, so the parent's
// history grows with the number of batches, not elements. Inside a batch the
// body runs as it does inline; vars assigned there are not visible to the
// parent afterwards.
//
// A loop among the top-level steps continues as new when Temporal suggests
// it or after Options.LoopIterationsPerRun iterations, carrying vars, step
// outputs, the compensation stack and buffered signals. Loops nested inside
// other steps keep running in the same history.
//
// # Errors
//
// A failed step keeps the type of its error (the ApplicationError type an
// activity failed with, "Timeout" for timeouts, "Canceled" for
// cancellations), which is what catch matches. Bad data found at run time is a
// non-retryable ApplicationError of type ErrExpression (an expression failed)
// or ErrValidation (a value has the wrong shape). A run that fails ends with
// a non-retryable ApplicationError of the same type whose message names the
// step.
package workflows
