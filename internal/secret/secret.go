// Package secret resolves secret references (env:NAME, file:/path) in the
// process that needs the value, so that configuration, run inputs and
// histories only ever hold the reference.
package secret

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// IsRef reports whether v is a reference rather than a literal. It tells
// `file:/run/secrets/db` (a reference) from `file:///var/data` (a bucket
// URL): a reference has a single slash.
func IsRef(v string) bool {
	return strings.HasPrefix(v, "env:") || isFileRef(v)
}

func isFileRef(v string) bool {
	return strings.HasPrefix(v, "file:/") && !strings.HasPrefix(v, "file://")
}

// Resolve returns the value a reference points at, or v itself when it is
// not a reference. Errors name the reference, never a value; an empty value
// is an error, since no secret is empty on purpose.
func Resolve(v string) (string, error) {
	switch {
	case strings.HasPrefix(v, "env:"):
		name := strings.TrimPrefix(v, "env:")
		val, ok := os.LookupEnv(name)
		if !ok || val == "" {
			return "", fmt.Errorf("resolving %s: environment variable %s is not set", v, name)
		}
		return val, nil
	case isFileRef(v):
		data, err := os.ReadFile(strings.TrimPrefix(v, "file:"))
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("resolving %s: reading file: %w", v, err)
		}
		// Files written by editors and `echo` end in a newline that is never
		// part of a secret.
		val := strings.TrimSpace(string(data))
		if val == "" {
			return "", fmt.Errorf("resolving %s: file is empty", v)
		}
		return val, nil
	}
	return v, nil
}
