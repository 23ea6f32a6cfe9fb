package bindings

import (
	"errors"
	"net/url"
	"strings"
)

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
