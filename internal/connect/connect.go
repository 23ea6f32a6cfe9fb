// Package connect dials Temporal the same way for every subcommand: the
// embedded server of `orchestrator dev` and a remote cluster or Temporal Cloud
// differ only in the configuration passed in.
package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"

	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/secret"
)

// MemoSizeWarning is the memo size above which the SDK logs a warning.
const MemoSizeWarning = 1 << 20

// Dial connects to Temporal, retrying until cfg.ConnectTimeout so that a
// process started beside its server waits for it instead of failing.
// Interceptors see every call of the client (tracing carries the caller's
// span into the runs it starts).
func Dial(ctx context.Context, cfg config.Temporal, logger *slog.Logger, interceptors ...interceptor.ClientInterceptor) (client.Client, error) {
	opts, err := clientOptions(cfg, logger)
	if err != nil {
		return nil, err
	}
	opts.Interceptors = interceptors
	deadline := time.Now().Add(cfg.ConnectTimeout)
	wait := 100 * time.Millisecond
	for {
		dialCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := client.DialContext(dialCtx, opts)
		cancel()
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %s) within %s: %v: start Temporal or point --temporal-address at it",
				cfg.Address, cfg.Namespace, cfg.ConnectTimeout, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

func clientOptions(cfg config.Temporal, logger *slog.Logger) (client.Options, error) {
	opts := client.Options{
		HostPort:  cfg.Address,
		Namespace: cfg.Namespace,
		Logger:    sdklog.NewStructuredLogger(logger.With("component", "temporal-client")),
		// Every run carries its plan in the memo (a run pins its
		// definition), so memos of tens of kilobytes are by design; the
		// server's own limit still refuses an oversized one.
		PayloadLimits: client.PayloadLimitOptions{MemoSizeWarning: MemoSizeWarning},
	}
	if cfg.APIKey != "" {
		key, err := secret.Resolve(cfg.APIKey)
		if err != nil {
			return opts, fmt.Errorf("reading the temporal api key: %w", err)
		}
		opts.Credentials = client.NewAPIKeyStaticCredentials(key)
	}
	tlsCfg, err := tlsConfig(cfg.TLS, cfg.APIKey != "")
	if err != nil {
		return opts, err
	}
	opts.ConnectionOptions.TLS = tlsCfg
	return opts, nil
}

// tlsConfig builds the client TLS settings. An API key implies TLS, because
// Temporal Cloud refuses keys over plain text and sending one would leak it.
func tlsConfig(cfg config.TLS, apiKey bool) (*tls.Config, error) {
	if !cfg.Enabled && !apiKey && cfg.CertFile == "" && cfg.CAFile == "" {
		return nil, nil
	}
	t := &tls.Config{ServerName: cfg.ServerName, MinVersion: tls.VersionTLS12}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together: give both or neither")
	}
	if cfg.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the tls client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s holds no PEM certificate", cfg.CAFile)
		}
		t.RootCAs = pool
	}
	return t, nil
}

// EnsureSearchAttributes registers the custom search attributes that are
// missing in the namespace, so Temporal UI can filter runs by them. An
// attribute that exists with another type is an error naming it.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) error {
	op := c.OperatorService()
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("listing search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		got, ok := have.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case got != typ:
			return fmt.Errorf("search attribute %s exists in namespace %s as %s, fnchain needs %s: remove it or use another namespace", name, namespace, got, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("adding search attributes: %w", err)
	}
	return nil
}
