package bindings

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// isSecretRef tells `file:/run/secrets/db` (a reference) from
// `file:///var/data` (a blob bucket URL): a reference has a single slash.
func isSecretRef(v string) bool {
	return strings.HasPrefix(v, "env:") || isFileRef(v)
}

func isFileRef(v string) bool {
	return strings.HasPrefix(v, "file:/") && !strings.HasPrefix(v, "file://")
}

// resolveSecret turns a reference into its value. The errors name the
// reference, never a value.
func resolveSecret(ref string) (string, error) {
	switch {
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return "", fmt.Errorf("resolving %s: environment variable %s is not set", ref, name)
		}
		return v, nil
	case isFileRef(ref):
		path := strings.TrimPrefix(ref, "file:")
		b, err := os.ReadFile(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("resolving %s: reading file: %w", ref, err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("resolving %s: file is empty", ref)
		}
		return v, nil
	default:
		return ref, nil
	}
}

// redactor removes secret values from text that may reach a log, an error
// or a workflow history.
type redactor struct {
	secrets []string
}

// newRedactor hides the whole resolved value when it came from a reference,
// and the password of the URL in any case.
func newRedactor(ref, resolved string) redactor {
	var r redactor
	if resolved != ref {
		r.secrets = append(r.secrets, resolved)
	}
	if u, err := url.Parse(resolved); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			r.secrets = append(r.secrets, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	return r
}

func (r redactor) text(s string) string {
	for _, secret := range r.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// err returns an error with the same text minus secrets. The chain is cut on
// purpose: a wrapped cause could print the secret.
func (r redactor) err(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(r.text(err.Error()))
}
