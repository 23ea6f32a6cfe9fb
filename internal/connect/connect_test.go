package connect

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/internal/config"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestAPIKeyImpliesTLS(t *testing.T) {
	t.Setenv("FNCHAIN_TEST_KEY", "k-123")
	opts, err := clientOptions(config.Temporal{Address: "x.tmprl.cloud:7233", Namespace: "ns", APIKey: "env:FNCHAIN_TEST_KEY"}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Credentials == nil || opts.ConnectionOptions.TLS == nil {
		t.Fatalf("api key without credentials or TLS: %+v", opts)
	}
	plain, err := clientOptions(config.Temporal{Address: "127.0.0.1:7233", Namespace: "default"}, quiet)
	if err != nil || plain.ConnectionOptions.TLS != nil || plain.Credentials != nil {
		t.Fatalf("plain connection: %+v, %v", plain, err)
	}
}

func TestBadTLSAndKeySettings(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  config.Temporal
		want string
	}{
		{"cert without key", config.Temporal{TLS: config.TLS{CertFile: "c.pem"}}, "--tls-cert and --tls-key go together"},
		{"missing cert file", config.Temporal{TLS: config.TLS{CertFile: "/nonexistent/c.pem", KeyFile: "/nonexistent/k.pem"}}, "loading the tls client certificate"},
		{"ca not pem", config.Temporal{TLS: config.TLS{CAFile: notPEM}}, "holds no PEM certificate"},
		{"unset key variable", config.Temporal{APIKey: "env:FNCHAIN_TEST_UNSET_KEY"}, "reading the temporal api key: resolving env:FNCHAIN_TEST_UNSET_KEY"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := clientOptions(c.cfg, quiet)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

// A process started without its Temporal waits, then says what to do.
func TestDialGivesUpWithAClearMessage(t *testing.T) {
	_, err := Dial(context.Background(), config.Temporal{Address: "127.0.0.1:1", Namespace: "default", ConnectTimeout: 500 * time.Millisecond}, quiet)
	if err == nil || !strings.Contains(err.Error(), "cannot reach Temporal at 127.0.0.1:1 (namespace default) within 500ms") ||
		!strings.Contains(err.Error(), "start Temporal or point --temporal-address at it") {
		t.Fatalf("error %v", err)
	}
}
