package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.temporal.io/sdk/temporal"
)

const (
	defaultHTTPTimeout      = 30 * time.Second
	defaultMaxResponseBytes = 10 << 20
	// TypeResponseTooLarge is the error type of a response over maxResponseBytes.
	TypeResponseTooLarge = "ResponseTooLarge"
)

// HTTPRequestInput is the `with` of http.request.
type HTTPRequestInput struct {
	Method           string            `json:"method,omitempty" enum:"GET,HEAD,POST,PUT,PATCH,DELETE,OPTIONS" default:"GET" doc:"HTTP method"`
	URL              string            `json:"url" minLength:"1" doc:"absolute http:// or https:// URL"`
	Headers          map[string]string `json:"headers,omitempty" doc:"request headers"`
	Query            map[string]any    `json:"query,omitempty" doc:"query parameters added to the URL; a list value repeats the parameter"`
	Body             any               `json:"body,omitempty" doc:"a string is sent as text/plain, any other value as JSON"`
	Timeout          string            `json:"timeout,omitempty" default:"30s" doc:"Go duration for the whole exchange"`
	MaxResponseBytes int64             `json:"maxResponseBytes,omitempty" minimum:"1" default:"10485760" doc:"larger responses fail with ResponseTooLarge"`
}

// HTTPResponse is the result of http.request.
type HTTPResponse struct {
	Status  int               `json:"status" doc:"status code"`
	Headers map[string]string `json:"headers" doc:"response headers, repeated ones joined with \", \""`
	Body    any               `json:"body" doc:"decoded JSON when the response is JSON, text otherwise"`
}

// HTTPClient runs http.request. Its zero value is not usable; use NewHTTPClient.
type HTTPClient struct {
	client *http.Client
}

// NewHTTPClient returns a client with its own connection pool.
func NewHTTPClient() *HTTPClient {
	return &HTTPClient{client: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
}

// Do sends the request described by in.
func (c *HTTPClient) Do(ctx context.Context, in HTTPRequestInput) (HTTPResponse, error) {
	req, timeout, limit, err := in.build(ctx)
	if err != nil {
		return HTTPResponse{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stop := KeepAlive(ctx)
	defer stop()

	resp, err := c.client.Do(req.WithContext(ctx))
	if err != nil {
		return HTTPResponse{}, transportError(ctx, in, timeout, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return HTTPResponse{}, transportError(ctx, in, timeout, err)
	}
	if int64(len(raw)) > limit {
		return HTTPResponse{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s %s: response body is larger than maxResponseBytes (%d); raise maxResponseBytes or ask for less", req.Method, in.URL, limit),
			TypeResponseTooLarge, nil)
	}
	out := HTTPResponse{Status: resp.StatusCode, Headers: map[string]string{}, Body: decodeBody(resp.Header.Get("Content-Type"), raw)}
	for k, v := range resp.Header {
		out.Headers[k] = strings.Join(v, ", ")
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, statusError(req.Method, in.URL, out)
	}
	return out, nil
}

func (in HTTPRequestInput) build(ctx context.Context) (*http.Request, time.Duration, int64, error) {
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, 0, 0, NewValidationError("argument \"url\": %q is not an absolute http:// or https:// URL", in.URL)
	}
	q := u.Query()
	for _, k := range sortedKeys(in.Query) {
		switch v := in.Query[k].(type) {
		case []any:
			for _, e := range v {
				q.Add(k, fmt.Sprint(e))
			}
		default:
			q.Add(k, fmt.Sprint(v))
		}
	}
	u.RawQuery = q.Encode()

	timeout := defaultHTTPTimeout
	if in.Timeout != "" {
		if timeout, err = time.ParseDuration(in.Timeout); err != nil || timeout <= 0 {
			return nil, 0, 0, NewValidationError("argument \"timeout\": %q is not a positive Go duration such as 10s", in.Timeout)
		}
	}
	limit := in.MaxResponseBytes
	if limit == 0 {
		limit = defaultMaxResponseBytes
	}

	var body io.Reader
	contentType := ""
	switch b := in.Body.(type) {
	case nil:
	case string:
		body, contentType = strings.NewReader(b), "text/plain; charset=utf-8"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, 0, 0, NewValidationError("argument \"body\": encoding as JSON: %v", err)
		}
		body, contentType = bytes.NewReader(data), "application/json"
	}
	method := in.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, 0, 0, NewValidationError("argument \"url\": %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	// The W3C traceparent of the activity's span links the callee into the
	// run's trace; with tracing off the global propagator writes nothing.
	// Headers the step sets itself come after, so they win.
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
	for k, v := range in.Headers {
		req.Header.Set(k, v)
	}
	return req, timeout, limit, nil
}

func decodeBody(contentType string, raw []byte) any {
	if len(raw) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			return v
		}
	}
	return string(raw)
}

// statusError maps a non-2xx response to HTTPError. Client errors other than
// 408 (timeout) and 429 (rate limited) repeat on retry, so they are
// non-retryable.
func statusError(method, rawURL string, resp HTTPResponse) error {
	class := fmt.Sprintf("%dxx", resp.Status/100)
	nonRetryable := resp.Status >= 400 && resp.Status < 500 && resp.Status != http.StatusRequestTimeout && resp.Status != http.StatusTooManyRequests
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("%s %s: status %d %s", method, rawURL, resp.Status, http.StatusText(resp.Status)),
		TypeHTTP,
		temporal.ApplicationErrorOptions{
			NonRetryable: nonRetryable,
			Details:      []any{map[string]any{"status": resp.Status, "statusClass": class, "headers": resp.Headers, "body": resp.Body}},
		})
}

func transportError(ctx context.Context, in HTTPRequestInput, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return temporal.NewApplicationError(fmt.Sprintf("%s: no response within %s; raise timeout if the service is slow", in.URL, timeout), TypeTimeout)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return temporal.NewApplicationErrorWithCause(fmt.Sprintf("%s: %v", in.URL, err), TypeConnection, err)
}
