package dsl

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

var triggerNames = func() []string {
	out := make([]string, len(triggerSpecs))
	for i, t := range triggerSpecs {
		out[i] = string(t.typ)
	}
	return out
}()

func (d *decoder) triggers(n *yaml.Node, reg Registry) []*Trigger {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "triggers must be a list, not %s", describe(n))
		return nil
	}
	var out []*Trigger
	for _, tn := range n.Content {
		if t := d.trigger(resolveAlias(tn), reg); t != nil {
			out = append(out, t)
		}
	}
	return out
}

func (d *decoder) trigger(n *yaml.Node, reg Registry) *Trigger {
	if n.Kind != yaml.MappingNode {
		d.fail(n, "a trigger must be a mapping with one type key (%s), not %s", strings.Join(triggerNames, ", "), describe(n))
		return nil
	}
	typeIdx := -1
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if k == "input" || k == "id" {
			continue
		}
		ti := slices.Index(triggerNames, k)
		switch {
		case ti < 0:
			d.fail(n.Content[i], "unknown trigger type %q%s", k, didYouMean(k, triggerNames))
			return nil
		case typeIdx >= 0:
			d.fail(n.Content[i], "a trigger has exactly one type key: split %s and %s into two triggers", triggerSpecs[typeIdx].typ, k)
			return nil
		}
		typeIdx = ti
	}
	if typeIdx < 0 {
		d.fail(n, "a trigger needs one type key: %s", strings.Join(triggerNames, ", "))
		return nil
	}
	ts := triggerSpecs[typeIdx]
	keySpec := append(slices.Clip(triggerCommonFields), fieldSpec{name: string(ts.typ), required: true})
	f := d.mapping(n, fmt.Sprintf("%s trigger", ts.typ), keySpec)
	t := &Trigger{Type: ts.typ, Input: d.value(f.get("input")), ID: d.value(f.get("id"))}
	label := fmt.Sprintf("%s trigger", ts.typ)
	tf := d.mapping(f.get(string(ts.typ)), label, ts.obj.fields)
	if tf == nil {
		return t
	}
	if ts.conn && tf.has("connection") && reg != nil {
		d.connection(tf.get("connection"), label, tf.str("connection"), string(ts.typ), reg)
	}
	switch ts.typ {
	case TriggerHTTP:
		t.HTTP = &HTTPTrigger{Path: tf.str("path"), Method: tf.str("method"), Secret: tf.str("secret"), Wait: tf.duration("wait", 0)}
		d.checkEnum(tf, "method", label, httpMethods)
		if t.HTTP.Method == "" {
			t.HTTP.Method = "POST"
		}
		if tf.has("path") && !strings.HasPrefix(t.HTTP.Path, "/") {
			d.fail(tf.get("path"), "%s: path %q must start with /", label, t.HTTP.Path)
		}
		if tf.has("secret") {
			d.secretRef(tf.get("secret"), label)
		}
	case TriggerSchedule:
		t.Schedule = d.schedule(tf, label)
		if f.has("input") {
			d.fail(f.keys["input"], "%s: a schedule has no event to map; set a static input under schedule.input", label)
		}
		if f.has("id") {
			d.fail(f.keys["id"], "%s: schedules start one run per time slot already; remove id", label)
		}
	case TriggerPostgres:
		t.Postgres = &PostgresTrigger{Connection: tf.str("connection"), Table: tf.str("table"), Operations: tf.strings("operations")}
		for _, op := range t.Postgres.Operations {
			if !slices.Contains(pgOperations, op) {
				d.fail(tf.get("operations"), "%s: unknown operation %q%s (one of %s)", label, op, didYouMean(op, pgOperations), strings.Join(pgOperations, ", "))
			}
		}
		slices.Sort(t.Postgres.Operations)
	case TriggerNATS:
		t.NATS = &NATSTrigger{Connection: tf.str("connection"), Subject: tf.str("subject")}
	case TriggerBlob:
		t.Blob = &BlobTrigger{Connection: tf.str("connection"), Prefix: tf.str("prefix")}
	case TriggerAMQP:
		t.AMQP = &AMQPTrigger{Connection: tf.str("connection"), Queue: tf.str("queue")}
	}
	return t
}

var pgOperations = []string{"delete", "insert", "update"}

var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

func (d *decoder) checkEnum(f *fields, key, label string, enum []string) {
	v := f.str(key)
	if f.has(key) && !slices.Contains(enum, v) {
		d.fail(f.get(key), "%s: %s %q is not one of %s%s", label, key, v, strings.Join(enum, ", "), didYouMean(v, enum))
	}
}

func (d *decoder) secretRef(n *yaml.Node, label string) {
	if !strings.HasPrefix(n.Value, "env:") && !strings.HasPrefix(n.Value, "file:") {
		d.fail(n, "%s: secret must reference a secret as env:NAME or file:/path, never hold its value", label)
	}
}

// cronParser accepts what Temporal schedules accept: 5-field cron and the
// @hourly/@daily/... and @every forms.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

func (d *decoder) schedule(f *fields, label string) *ScheduleTrigger {
	s := &ScheduleTrigger{
		Cron:          f.str("cron"),
		Timezone:      f.str("timezone"),
		Overlap:       f.str("overlap"),
		CatchupWindow: f.duration("catchupWindow", 0),
		Jitter:        f.duration("jitter", 0),
		Paused:        f.boolean("paused"),
	}
	if f.has("input") {
		s.Input = d.value(f.get("input"))
		if !s.Input.staticRaw() {
			d.fail(f.get("input"), "%s: schedule input is sent as is: it cannot hold ${{ }}", label)
		}
		s.Input.root = vnode{kind: vLit, static: true, lit: s.Input.raw}
	}
	d.checkEnum(f, "overlap", label, overlapPolicies)
	if s.Overlap == "" {
		s.Overlap = "skip"
	}
	if f.has("cron") {
		d.checkCron(f.get("cron"), s.Cron, label)
	}
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			d.fail(f.get("timezone"), "%s: unknown time zone %q (use an IANA name such as Europe/Berlin)", label, s.Timezone)
		}
	}
	return s
}

func (d *decoder) checkCron(n *yaml.Node, spec, label string) {
	if strings.HasPrefix(spec, "@every ") {
		if _, err := ParseDuration(strings.TrimPrefix(spec, "@every ")); err != nil {
			d.fail(n, "%s: cron %q: %v", label, spec, err)
		}
		return
	}
	if _, err := cronParser.Parse(spec); err != nil {
		hint := ""
		if fields := strings.Fields(spec); len(fields) == 6 {
			hint = fmt.Sprintf(" (did you mean %q? schedules use 5 fields: minute hour day-of-month month day-of-week)", strings.Join(fields[1:], " "))
		}
		d.fail(n, "%s: invalid cron %q: %v%s", label, spec, err, hint)
	}
}

// staticRaw reports whether the value as written holds no expression.
func (v *Value) staticRaw() bool {
	paths := map[string]bool{}
	withoutExprs(v.raw, "", paths)
	return len(paths) == 0
}
