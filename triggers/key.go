package triggers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/fnchain/orchestrator/dsl"
)

// declared is one trigger of a deployed plan with its key.
type declared struct {
	plan    *dsl.Workflow
	trigger *dsl.Trigger
	key     string
}

// triggersOf lists the triggers of plans with their keys.
func triggersOf(plans []*dsl.Workflow) []declared {
	var out []declared
	for _, p := range plans {
		for i, t := range p.Triggers {
			out = append(out, declared{plan: p, trigger: t, key: Key(p, i)})
		}
	}
	return out
}

// Key is the stable name of plan.Triggers[index] within its workflow:
// "schedule-<n>" for the n-th schedule (1-based), otherwise the type and a
// short hash of what the trigger listens to. Changing `input:` or `id:`
// keeps the key; a new table, subject, queue, prefix or path changes it.
func Key(plan *dsl.Workflow, index int) string {
	t := plan.Triggers[index]
	if t.Type == dsl.TriggerSchedule {
		n := 0
		for _, other := range plan.Triggers[:index+1] {
			if other.Type == dsl.TriggerSchedule {
				n++
			}
		}
		return fmt.Sprintf("schedule-%d", n)
	}
	return string(t.Type) + "-" + shortHash(identity(t))
}

// identity is what a trigger listens to.
func identity(t *dsl.Trigger) string {
	switch t.Type {
	case dsl.TriggerHTTP:
		return t.HTTP.Method + " " + t.HTTP.Path
	case dsl.TriggerPostgres:
		return t.Postgres.Connection + "\x00" + t.Postgres.Table + "\x00" + strings.Join(t.Postgres.Operations, ",")
	case dsl.TriggerNATS:
		return t.NATS.Connection + "\x00" + t.NATS.Subject
	case dsl.TriggerAMQP:
		return t.AMQP.Connection + "\x00" + t.AMQP.Queue
	case dsl.TriggerBlob:
		return t.Blob.Connection + "\x00" + t.Blob.Prefix
	}
	return string(t.Type)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// maxIDLen keeps workflow IDs well under Temporal's limit; longer event ids
// are hashed.
const maxIDLen = 200

// RunID is the workflow ID of the run that event id eventID of a trigger
// starts.
func RunID(workflow, key, eventID string) string {
	id := workflow + "-" + key + "-" + eventID
	if len(id) <= maxIDLen {
		return id
	}
	sum := sha256.Sum256([]byte(eventID))
	return workflow + "-" + key + "-" + hex.EncodeToString(sum[:16])
}

// resourceName is a Postgres/NATS-safe name for what a trigger creates at
// its source (slot, publication, durable consumer): one per workflow and key.
func resourceName(workflow, key string) string {
	return "fnchain_" + shortHash(workflow+"\x00"+key) + "_" + strings.ReplaceAll(key, "-", "_")
}
