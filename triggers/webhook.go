package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/secret"
)

// WebhookPrefix is the path under which http triggers are served: the
// API's own routes stay apart, and one handler follows every deploy.
const WebhookPrefix = "/hooks/"

// maxWebhookBody bounds what a webhook request may send.
const maxWebhookBody = 10 << 20

// webhooks serves the http triggers of the deployed workflows.
type webhooks struct {
	starter *starter
	logger  *slog.Logger

	mu     sync.RWMutex
	routes map[string]declared // by path
}

var _ http.Handler = (*webhooks)(nil)

// set replaces the routing table. A trigger whose path is outside
// WebhookPrefix or already taken is left out and reported.
func (w *webhooks) set(all []declared) []error {
	routes := map[string]declared{}
	var problems []error
	for _, d := range all {
		if d.trigger.Type != dsl.TriggerHTTP {
			continue
		}
		path := d.trigger.HTTP.Path
		switch other, taken := routes[path]; {
		case !strings.HasPrefix(path, WebhookPrefix):
			problems = append(problems, fmt.Errorf("workflow %s: http trigger path %s is not served: webhook paths must start with %s", d.plan.Name, path, WebhookPrefix))
		case taken:
			problems = append(problems, fmt.Errorf("workflow %s: http trigger path %s is already served by workflow %s: give each webhook its own path", d.plan.Name, path, other.plan.Name))
		default:
			routes[path] = d
		}
	}
	w.mu.Lock()
	w.routes = routes
	w.mu.Unlock()
	return problems
}

// RunResponse is what a webhook answers, the same shape as the runs API.
type RunResponse struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	// Status is running, completed or failed.
	Status string `json:"status"`
	Output any    `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (w *webhooks) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.RLock()
	d, ok := w.routes[r.URL.Path]
	w.mu.RUnlock()
	if !ok {
		problem(rw, http.StatusNotFound, fmt.Sprintf("no deployed workflow has an http trigger on %s", r.URL.Path))
		return
	}
	if r.Method != d.trigger.HTTP.Method {
		rw.Header().Set("Allow", d.trigger.HTTP.Method)
		problem(rw, http.StatusMethodNotAllowed, fmt.Sprintf("%s accepts %s, not %s", r.URL.Path, d.trigger.HTTP.Method, r.Method))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxWebhookBody))
	if err != nil {
		problem(rw, http.StatusRequestEntityTooLarge, fmt.Sprintf("reading the body: %v (the limit is %d bytes)", err, maxWebhookBody))
		return
	}
	if ref := d.trigger.HTTP.Secret; ref != "" {
		key, err := secret.Resolve(ref)
		if err != nil {
			w.logger.Error("webhook secret unavailable", "workflow", d.plan.Name, "path", r.URL.Path, "error", err)
			w.starter.status.fail(d, err)
			problem(rw, http.StatusServiceUnavailable, "the webhook's secret is not available on this server")
			return
		}
		if err := verify(r.Header, body, key, time.Now()); err != nil {
			w.starter.status.fail(d, fmt.Errorf("refused request: %w", err))
			problem(rw, http.StatusUnauthorized, err.Error())
			return
		}
	}
	data, err := requestEvent(r, body)
	if err != nil {
		w.starter.status.fail(d, err)
		problem(rw, http.StatusBadRequest, err.Error())
		return
	}
	run, err := w.starter.start(r.Context(), d, Event{Data: data})
	var me *MappingError
	switch {
	case errors.As(err, &me):
		problem(rw, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		w.logger.Error("webhook could not start a run", "workflow", d.plan.Name, "error", err)
		problem(rw, http.StatusServiceUnavailable, fmt.Sprintf("starting the run: %v", err))
		return
	}
	resp := RunResponse{WorkflowID: run.GetID(), RunID: run.GetRunID(), Status: "running"}
	code := http.StatusAccepted
	if wait := d.trigger.HTTP.Wait; wait > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		var out any
		err := run.Get(ctx, &out)
		cancel()
		switch {
		case err == nil:
			resp.Status, resp.Output, code = "completed", out, http.StatusOK
		case ctx.Err() == nil:
			resp.Status, resp.Error, code = "failed", err.Error(), http.StatusOK
		}
	}
	if code == http.StatusAccepted {
		rw.Header().Set("Location", "/v1/runs/"+url.PathEscape(resp.WorkflowID)+"/"+url.PathEscape(resp.RunID))
	}
	writeJSON(rw, code, "application/json", resp)
}

// requestEvent is `event` of an http trigger.
func requestEvent(r *http.Request, body []byte) (map[string]any, error) {
	headers := map[string]any{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	query := map[string]any{}
	for k, v := range r.URL.Query() {
		query[k] = v[0]
	}
	var data any
	if len(body) > 0 {
		data = string(body)
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "application/json" || strings.HasSuffix(mt, "+json") {
			if err := json.Unmarshal(body, &data); err != nil {
				return nil, fmt.Errorf("the body is not valid JSON (Content-Type is %s): %w", mt, err)
			}
		}
	}
	return map[string]any{
		"method":  r.Method,
		"path":    r.URL.Path,
		"headers": headers,
		"query":   query,
		"body":    data,
	}, nil
}

func problem(rw http.ResponseWriter, code int, detail string) {
	writeJSON(rw, code, "application/problem+json", map[string]any{
		"title": http.StatusText(code), "status": code, "detail": detail,
	})
}

func writeJSON(rw http.ResponseWriter, code int, contentType string, v any) {
	rw.Header().Set("Content-Type", contentType)
	rw.WriteHeader(code)
	_ = json.NewEncoder(rw).Encode(v)
}
