package activities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fnchain/orchestrator/activities"
)

type greetIn struct {
	Name  string `json:"name" minLength:"1"`
	Times int    `json:"times,omitempty" minimum:"1"`
}

type greetOut struct {
	Greeting string `json:"greeting"`
}

func greet(_ context.Context, in greetIn) (greetOut, error) {
	times := max(in.Times, 1)
	return greetOut{Greeting: strings.Repeat("hello "+in.Name+" ", times)}, nil
}

func TestRegisterTypedFunctionRunsAsActivity(t *testing.T) {
	reg := activities.NewRegistry()
	activities.MustRegister(reg, "user.greet", "Greets.", greet)
	env := activityEnv(t, reg)
	out, err := call[greetOut](t, env, "user.greet", map[string]any{"name": "ada", "times": 2})
	if err != nil {
		t.Fatal(err)
	}
	if out.Greeting != "hello ada hello ada " {
		t.Fatalf("got %q", out.Greeting)
	}
}

func TestBadArgumentsAreNonRetryableValidationErrors(t *testing.T) {
	reg := activities.NewRegistry()
	activities.MustRegister(reg, "user.greet", "Greets.", greet)
	env := activityEnv(t, reg)
	cases := map[string]struct {
		with any
		want string
	}{
		"missing":  {map[string]any{}, "name"},
		"type":     {map[string]any{"name": 3}, `argument "name"`},
		"unknown":  {map[string]any{"name": "a", "colour": "red"}, "colour"},
		"minimum":  {map[string]any{"name": "a", "times": 0}, `argument "times"`},
		"notObj":   {[]int{1}, "with"},
		"tooShort": {map[string]any{"name": ""}, `argument "name"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := call[greetOut](t, env, "user.greet", tc.with)
			appErr := wantAppError(t, err, activities.TypeValidation, false)
			if !strings.Contains(appErr.Error(), tc.want) {
				t.Fatalf("error %q does not name %q", appErr.Error(), tc.want)
			}
		})
	}
}

func TestDuplicateNameFails(t *testing.T) {
	reg := activities.Builtin()
	err := activities.Register(reg, "noop", "again", greet)
	if err == nil || !strings.Contains(err.Error(), `"noop"`) || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("want duplicate error naming noop, got %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustRegister did not panic on a duplicate")
		}
	}()
	activities.MustRegister(reg, "http.request", "again", greet)
}

func TestBadFunctionDefinitionsFail(t *testing.T) {
	reg := activities.NewRegistry()
	run := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	for name, f := range map[string]activities.Function{
		"bad name":      {Name: "9lives", Run: run},
		"empty name":    {Name: "", Run: run},
		"nil run":       {Name: "x"},
		"bad schema":    {Name: "x", Run: run, Input: json.RawMessage(`{"type": 7}`)},
		"invalid json":  {Name: "x", Run: run, Input: json.RawMessage(`{`)},
		"output schema": {Name: "x", Run: run, Output: json.RawMessage(`{`)},
	} {
		if err := reg.Add(f); err == nil {
			t.Errorf("%s: Add accepted %+v", name, f)
		}
	}
	if got := reg.FunctionNames(); len(got) != 0 {
		t.Fatalf("failed adds left %v", got)
	}
}

func TestNoopReturnsInput(t *testing.T) {
	env := activityEnv(t, activities.Builtin())
	in := map[string]any{"a": []any{1.0, "x"}, "b": map[string]any{"c": true}}
	out, err := call[map[string]any](t, env, "noop", in)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(out)
	if !bytes.Equal(a, b) {
		t.Fatalf("noop returned %s, want %s", b, a)
	}
}

type fakeConns map[string]string

func (f fakeConns) Connection(name string) (string, bool) { t, ok := f[name]; return t, ok }
func (f fakeConns) ConnectionNames() []string {
	var names []string
	for n := range f {
		names = append(names, n)
	}
	return names
}

func TestSpecsAndConnections(t *testing.T) {
	reg := activities.Builtin()
	if got := strings.Join(reg.FunctionNames(), ","); got != "http.request,log,noop" {
		t.Fatalf("FunctionNames = %s", got)
	}
	spec, ok := reg.Function("http.request")
	if !ok || spec.Input == nil || spec.Output == nil || spec.Connection != "" {
		t.Fatalf("http.request spec = %+v", spec)
	}
	if !strings.Contains(string(spec.Input), `"required":["url"]`) {
		t.Fatalf("input schema lacks required url: %s", spec.Input)
	}
	if _, ok := reg.Function("nope"); ok {
		t.Fatal("unknown function found")
	}
	if _, ok := reg.Connection("db"); ok || reg.ConnectionNames() != nil {
		t.Fatal("connections before SetConnections")
	}
	reg.SetConnections(fakeConns{"db": "postgres", "cache": "redis"})
	if typ, ok := reg.Connection("db"); !ok || typ != "postgres" {
		t.Fatalf("Connection(db) = %q %v", typ, ok)
	}
	if got := strings.Join(reg.ConnectionNames(), ","); got != "cache,db" {
		t.Fatalf("ConnectionNames = %s", got)
	}
}

func TestDescribeListsSchemas(t *testing.T) {
	var b bytes.Buffer
	if err := activities.Builtin().Describe(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"http.request\n", "log\n", "noop\n", "input: any", `"maxResponseBytes"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Describe output lacks %q:\n%s", want, b.String())
		}
	}
	md := string(activities.Builtin().Markdown())
	for _, want := range []string{"## http.request", "| `url` | string | yes |", "One of `\"debug\"`"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
}

type node struct {
	Name     string `json:"name"`
	Children []leaf `json:"children,omitempty"`
}

type leaf struct {
	Value int `json:"value"`
}

func TestSchemaOfIsSelfContained(t *testing.T) {
	reg := activities.NewRegistry()
	activities.MustRegister(reg, "tree", "", func(_ context.Context, n node) (node, error) { return n, nil })
	spec, _ := reg.Function("tree")
	if !strings.Contains(string(spec.Input), `"$defs":{"Leaf"`) {
		t.Fatalf("nested type not in $defs: %s", spec.Input)
	}
	env := activityEnv(t, reg)
	_, err := call[node](t, env, "tree", map[string]any{"name": "a", "children": []any{map[string]any{"value": "x"}}})
	appErr := wantAppError(t, err, activities.TypeValidation, false)
	if !strings.Contains(appErr.Error(), `"children.0.value"`) {
		t.Fatalf("error does not locate the nested argument: %v", appErr)
	}
}
