package bindings

import (
	"context"
	"strings"
	"testing"
)

type recordingConn struct{ closes *int }

func (recordingConn) check(context.Context) error { return nil }
func (c recordingConn) close() error {
	*c.closes++
	return nil
}

func TestFailedStartClosesWhatItOpened(t *testing.T) {
	closes := 0
	openers["recording"] = func(context.Context, string) (conn, error) { return recordingConn{&closes}, nil }
	t.Cleanup(func() { delete(openers, "recording") })

	// Names sort so that "a" opens before "b" fails.
	_, err := Open(context.Background(), Connections{
		"a": {Type: "recording", URL: "x://"},
		"b": {Type: "redis", URL: "redis://:hunter2@127.0.0.1:6379/notanumber"},
	})
	if err == nil || !strings.Contains(err.Error(), `opening connection "b"`) {
		t.Fatalf("want an error naming b, got %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error shows the password: %v", err)
	}
	if closes != 1 {
		t.Fatalf("a was closed %d times, want 1", closes)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	closes := 0
	openers["recording"] = func(context.Context, string) (conn, error) { return recordingConn{&closes}, nil }
	t.Cleanup(func() { delete(openers, "recording") })
	p, err := Open(context.Background(), Connections{"a": {Type: "recording", URL: "x://"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if closes != 1 {
		t.Fatalf("closed %d times, want 1", closes)
	}
}
