package activities_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/activities"
)

func httpEnv(t *testing.T, h http.HandlerFunc) (string, func(with map[string]any) (activities.HTTPResponse, error)) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env := activityEnv(t, activities.Builtin())
	return srv.URL, func(with map[string]any) (activities.HTTPResponse, error) {
		return call[activities.HTTPResponse](t, env, "http.request", with)
	}
}

func TestHTTPRequestJSONBody(t *testing.T) {
	url, do := httpEnv(t, func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "echo": in, "big": 9007199254740993})
	})
	out, err := do(map[string]any{"method": "POST", "url": url, "body": map[string]any{"orderId": "o-1", "amount": 12.5}})
	if err != nil {
		t.Fatal(err)
	}
	body, ok := out.Body.(map[string]any)
	if out.Status != 200 || !ok || body["method"] != "POST" {
		t.Fatalf("got %+v", out)
	}
	if echo := body["echo"].(map[string]any); echo["orderId"] != "o-1" || echo["amount"] != 12.5 {
		t.Fatalf("echo = %v", echo)
	}
	if !strings.HasPrefix(out.Headers["Content-Type"], "application/json") {
		t.Fatalf("headers = %v", out.Headers)
	}
}

func TestHTTPRequestTextBodyQueryAndHeaders(t *testing.T) {
	url, do := httpEnv(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, r.Method+"|"+string(b)+"|"+r.URL.RawQuery+"|"+r.Header.Get("X-Api-Key")+"|"+r.Header.Get("Content-Type"))
	})
	out, err := do(map[string]any{
		"method":  "PUT",
		"url":     url + "/items?fixed=1",
		"body":    "plain text",
		"query":   map[string]any{"page": 2, "tag": []any{"a", "b"}},
		"headers": map[string]any{"X-Api-Key": "k1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "PUT|plain text|fixed=1&page=2&tag=a&tag=b|k1|text/plain; charset=utf-8"
	if out.Body != want {
		t.Fatalf("body = %q, want %q", out.Body, want)
	}
}

func TestHTTPRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	url, do := httpEnv(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	_, err := do(map[string]any{"url": url, "timeout": "100ms"})
	appErr := wantAppError(t, err, activities.TypeTimeout, true)
	if !strings.Contains(appErr.Error(), "100ms") {
		t.Fatalf("timeout error does not say the limit: %v", appErr)
	}
}

func TestHTTPRequestStatusErrors(t *testing.T) {
	cases := []struct {
		status    int
		retryable bool
	}{
		{404, false},
		{400, false},
		{408, true},
		{429, true},
		{500, true},
		{503, true},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			url, do := httpEnv(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, `{"reason":"because"}`)
			})
			_, err := do(map[string]any{"url": url})
			appErr := wantAppError(t, err, activities.TypeHTTP, tc.retryable)
			var details map[string]any
			if err := appErr.Details(&details); err != nil {
				t.Fatal(err)
			}
			if details["status"] != float64(tc.status) || details["statusClass"] != fmt.Sprintf("%dxx", tc.status/100) {
				t.Fatalf("details = %v", details)
			}
			if body := details["body"].(map[string]any); body["reason"] != "because" {
				t.Fatalf("details body = %v", details["body"])
			}
		})
	}
}

func TestHTTPRequestSizeLimit(t *testing.T) {
	url, do := httpEnv(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 2048))
	})
	_, err := do(map[string]any{"url": url, "maxResponseBytes": 1024})
	appErr := wantAppError(t, err, activities.TypeResponseTooLarge, false)
	if !strings.Contains(appErr.Error(), "maxResponseBytes") {
		t.Fatalf("error does not name the argument: %v", appErr)
	}
	out, err := do(map[string]any{"url": url, "maxResponseBytes": 2048})
	if err != nil || len(out.Body.(string)) != 2048 {
		t.Fatalf("at the limit: %v %v", err, out)
	}
}

func TestHTTPRequestBadArguments(t *testing.T) {
	url, do := httpEnv(t, func(w http.ResponseWriter, r *http.Request) {})
	cases := map[string]struct {
		with map[string]any
		want string
	}{
		"no url":      {map[string]any{}, "url"},
		"relative":    {map[string]any{"url": "/x"}, `"url"`},
		"ftp":         {map[string]any{"url": "ftp://h/x"}, `"url"`},
		"method":      {map[string]any{"url": url, "method": "BREW"}, `"method"`},
		"timeout":     {map[string]any{"url": url, "timeout": "soon"}, `"timeout"`},
		"negative":    {map[string]any{"url": url, "timeout": "-1s"}, `"timeout"`},
		"headers":     {map[string]any{"url": url, "headers": map[string]any{"X": 1}}, `"headers.X"`},
		"unknown arg": {map[string]any{"url": url, "bdy": "x"}, "bdy"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := do(tc.with)
			appErr := wantAppError(t, err, activities.TypeValidation, false)
			if !strings.Contains(appErr.Error(), tc.want) {
				t.Fatalf("error %q does not name %s", appErr.Error(), tc.want)
			}
		})
	}
}

func TestHTTPRequestUnreachableIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	env := activityEnv(t, activities.Builtin())
	env.SetTestTimeout(10 * time.Second)
	_, err := call[activities.HTTPResponse](t, env, "http.request", map[string]any{"url": url})
	wantAppError(t, err, activities.TypeConnection, true)
}
