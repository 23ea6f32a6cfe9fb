package dsl

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"testdata/valid", "testdata/invalid", "../examples"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	reg := TestRegistry()
	f.Fuzz(func(t *testing.T, src []byte) {
		_, err := Load("fuzz.yaml", src, reg)
		if err == nil {
			return
		}
		var errs Errors
		if !errors.As(err, &errs) {
			t.Fatalf("want Errors, got %T: %v", err, err)
		}
		for _, e := range errs {
			if e.Line < 1 || e.Col < 1 {
				t.Fatalf("error without position: %v", e)
			}
		}
	})
}

func FuzzExpr(f *testing.F) {
	for _, s := range []string{"input.a + 1", "steps.x.output", "vars.n > 2", "map(input.l, .a)", "now()", `{a: {b: "}}"}}`, "keys(input)", "item.id", "(", "1 +"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		errs := &errList{}
		c := &exprCompiler{errs: errs, ids: []string{"x"}, vars: []string{"n"}}
		sc := &exprScope{state: true, visible: &visibility{ids: map[string]bool{"x": true}}}
		e := &Expr{Src: src, Pos: Pos{File: "f.yaml", Line: 3, Col: 7}}
		c.compile(e, sc, "step")
		for _, er := range errs.errs {
			if er.Line < 1 || er.Col < 1 {
				t.Fatalf("error without position: %v", er)
			}
		}
		if len(errs.errs) == 0 && e.program == nil {
			t.Fatal("no error and no program")
		}
	})
}
