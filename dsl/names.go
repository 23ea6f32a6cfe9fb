package dsl

// The names an expression can read. Which of them are in scope depends on
// where the expression is (see exprScope).
const (
	nameInput  = "input"
	nameSteps  = "steps"
	nameVars   = "vars"
	nameRun    = "run"
	nameError  = "error"
	nameEvent  = "event"
	nameResult = "result"
	nameNow    = "now"
	nameItem   = "item"
	nameIndex  = "index"
	nameOutput = "output"
)

// reservedNames cannot be used as foreach `as` names because they would hide
// a name of the language.
var reservedNames = map[string]bool{
	nameInput: true, nameSteps: true, nameVars: true, nameRun: true,
	nameError: true, nameEvent: true, nameResult: true, nameNow: true,
}

// scopeHints explain names that exist in the language but not at the place
// of the expression.
var scopeHints = map[string]string{
	nameItem:   "item is only in scope inside foreach steps",
	nameIndex:  "index is only in scope inside foreach steps",
	nameError:  "error is only in scope inside catch steps",
	nameEvent:  "event is only in scope in trigger input and id",
	nameResult: "result is only in scope in a step's output",
	nameSteps:  "steps is not in scope here",
	nameInput:  "input is not in scope here",
	nameVars:   "vars is not in scope here",
	nameRun:    "run is not in scope here",
	nameNow:    "now() is not available here",
}
