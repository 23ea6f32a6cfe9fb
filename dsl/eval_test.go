package dsl

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func loadOne(t *testing.T, src string) *Workflow {
	t.Helper()
	wfs, err := Load("t.yaml", []byte(src), TestRegistry())
	if err != nil {
		t.Fatalf("loading:\n%v", err)
	}
	return wfs[0]
}

func TestValueEval(t *testing.T) {
	w := loadOne(t, `
name: ev
steps:
  - id: first
    call: noop
  - set:
      typed: ${{ input.n * 2 }}
      text: "n=${{ input.n }} m=${{ input.m }} none=${{ input.missing }}"
      plain: no expressions here
      nested: {list: ["${{ input.n }}", 2], s: "${{ upper(input.s) }}"}
      keys: ${{ keys(input.m) }}
      clock: ${{ now() }}
      prev: ${{ steps.first.output }}
    if: ${{ input.n > 1 }}
`)
	clock := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := Scope{
		Input: map[string]any{"n": 3, "s": "abc", "m": map[string]any{"z": 1, "a": 2, "k": 3}},
		Steps: map[string]any{"first": "out"},
		Now:   func() time.Time { return clock },
	}
	got := map[string]any{}
	for _, v := range w.Steps[1].Set.Vars {
		out, err := v.Value.Eval(s)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		got[v.Name] = out
	}
	want := map[string]any{
		"typed":  6,
		"text":   `n=3 m={"a":2,"k":3,"z":1} none=`,
		"plain":  "no expressions here",
		"nested": map[string]any{"list": []any{3, 2}, "s": "ABC"},
		"keys":   []any{"a", "k", "z"},
		"clock":  clock,
		"prev":   "out",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	byName := map[string]*Value{}
	for _, v := range w.Steps[1].Set.Vars {
		byName[v.Name] = v.Value
	}
	if byName["plain"].root.kind != vLit {
		t.Error("a string without ${{ must stay a literal")
	}
	ok, err := w.Steps[1].If.EvalBool(s)
	if err != nil || !ok {
		t.Errorf("if: %v %v", ok, err)
	}
	if _, err := byName["typed"].Eval(Scope{Input: map[string]any{"n": "x"}}); err == nil {
		t.Error("want a run-time error for string * int")
	}
	if _, err := byName["clock"].Eval(Scope{}); err == nil || !strings.Contains(err.Error(), "now()") {
		t.Errorf("now() without a clock: want an error, got %v", err)
	}
}

func TestForeachScope(t *testing.T) {
	w := loadOne(t, `
name: fe
steps:
  - foreach: [a, b]
    as: {item: outer}
    steps:
      - foreach: ${{ [1] }}
        steps:
          - call: log
            with: {message: "${{ outer }}-${{ item }}-${{ index }}"}
`)
	outer := w.Steps[0].Foreach
	inner := outer.Steps[0].Foreach
	s := Scope{}.WithItem(outer, "b", 1).WithItem(inner, 7, 0)
	out, err := inner.Steps[0].Call.With.Eval(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(map[string]any)["message"]; got != "b-7-0" {
		t.Errorf("got %v", got)
	}
}

func TestHashIgnoresFormatting(t *testing.T) {
	a := loadOne(t, "name: h\nsteps:\n  - call: log\n    with: {message: hi, level: info}\n")
	b := loadOne(t, "# comment\nsteps: [{with: {level: info, message: 'hi'}, call: log}]\nname: h\n")
	c := loadOne(t, "name: h\nsteps:\n  - call: log\n    with: {message: ho, level: info}\n")
	if a.Hash != b.Hash {
		t.Errorf("formatting changed the hash: %s vs %s", a.Hash, b.Hash)
	}
	if a.Hash == c.Hash {
		t.Error("different content, same hash")
	}
	if len(a.ShortHash()) != 12 {
		t.Errorf("short hash %q", a.ShortHash())
	}
}

func TestDecodePlanRejectsBadInput(t *testing.T) {
	good := loadOne(t, "name: d\nsteps: [{call: log, with: {message: \"${{ input.x }}\"}}]\n")
	data, _ := json.Marshal(good)
	for name, bad := range map[string]string{
		"not json":      "{",
		"null step":     `{"name":"d","steps":[null],"hash":""}`,
		"wrong group":   `{"name":"d","steps":[{"kind":"call","id":"a","set":{"vars":[]}}],"hash":""}`,
		"bad expr":      strings.Replace(string(data), "input.x", "input.", 1),
		"tampered hash": strings.Replace(string(data), `"message":`, `"msg":`, 1),
	} {
		if _, err := DecodePlan([]byte(bad)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
