package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// apiClient is how the CLI subcommands talk to a running API.
type apiClient struct {
	base    string
	key     string
	headers map[string]string
	http    *http.Client
}

// with returns a client that sends one more header.
func (c *apiClient) with(name, value string) *apiClient {
	out := *c
	out.headers = map[string]string{name: value}
	for k, v := range c.headers {
		out.headers[k] = v
	}
	return &out
}

// bindAPI adds --api and --api-key. The key's variable is not
// FNCHAIN_API_KEY, which config uses for the Temporal Cloud key.
func bindAPI(fs *flag.FlagSet) *apiClient {
	c := &apiClient{http: &http.Client{Timeout: 90 * time.Second}}
	fs.StringVar(&c.base, "api", cmp.Or(os.Getenv("FNCHAIN_API_URL"), "http://127.0.0.1:8080"), "URL of the fnchain API (env FNCHAIN_API_URL)")
	fs.StringVar(&c.key, "api-key", os.Getenv("FNCHAIN_API_TOKEN"), "API key, from orchestrator keys create (env FNCHAIN_API_TOKEN)")
	return c
}

// call sends a request and decodes a 2xx JSON answer into out (when not
// nil); any other answer becomes an error that repeats the API's problem.
// It returns the answer's status and body.
func (c *apiClient) call(method, path, contentType string, body []byte, out any) (int, []byte, error) {
	req, err := http.NewRequest(method, strings.TrimSuffix(c.base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("building the request: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("reaching the api at %s (is the orchestrator running? give --api): %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, data, problemError(resp.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, data, fmt.Errorf("decoding the answer: %w", err)
		}
	}
	return resp.StatusCode, data, nil
}

// problemError prints an RFC 9457 problem one line per error.
func problemError(status int, data []byte) error {
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Message  string `json:"message"`
			Location string `json:"location"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &p) != nil || p.Detail == "" {
		return fmt.Errorf("the api answered %d: %s", status, bytes.TrimSpace(data))
	}
	lines := []string{fmt.Sprintf("%s (%d)", p.Detail, status)}
	for _, e := range p.Errors {
		if e.Location != "" && e.Location != "body" {
			lines = append(lines, fmt.Sprintf("  %s: %s", e.Location, e.Message))
		} else {
			lines = append(lines, "  "+e.Message)
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

// readValue reads a JSON value given inline or as @file.
func readValue(flagName, v string) ([]byte, error) {
	data := []byte(v)
	if name, ok := strings.CutPrefix(v, "@"); ok {
		var err error
		if data, err = os.ReadFile(name); err != nil {
			return nil, fmt.Errorf("--%s: %w", flagName, err)
		}
	}
	if len(bytes.TrimSpace(data)) > 0 && !json.Valid(data) {
		return nil, fmt.Errorf("--%s is not JSON: give a JSON value such as '{\"orderId\": \"A1\"}' or @file.json", flagName)
	}
	return data, nil
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
