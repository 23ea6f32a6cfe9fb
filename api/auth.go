package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"golang.org/x/time/rate"
)

// securityScheme names the bearer scheme in the OpenAPI document; an
// operation's requirement lists the one scope it needs.
const securityScheme = "apiKey"

// DefaultMaxBodyBytes bounds request bodies unless Backend.MaxBodyBytes
// says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// op declares the scope an operation needs when keys are in use, and
// bounds its body: huma leaves raw bodies unbounded.
func (s *service) op(o huma.Operation, scope string) huma.Operation {
	o.MaxBodyBytes = s.MaxBodyBytes
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	o.BodyReadTimeout = 10 * time.Second
	if s.Keys != nil {
		o.Security = []map[string][]string{{securityScheme: {scope}}}
		o.Errors = append(o.Errors, http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests)
	}
	return o
}

// requiredScope is the scope an operation declared with op; operations of
// other components that declare none are left to them (webhooks check
// their own secrets).
func requiredScope(op *huma.Operation) string {
	for _, req := range op.Security {
		if scopes, ok := req[securityScheme]; ok && len(scopes) == 1 {
			return scopes[0]
		}
	}
	return ""
}

func authenticate(a huma.API, keys *Keys, limits *limiter) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		needs := requiredScope(ctx.Operation())
		if needs == "" {
			next(ctx)
			return
		}
		secret, ok := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
		if !ok || secret == "" {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="fnchain"`)
			_ = huma.WriteErr(a, ctx, http.StatusUnauthorized, "missing api key: send Authorization: Bearer <key> (create one with orchestrator keys create)")
			return
		}
		key, err := keys.Lookup(ctx.Context(), secret)
		if err != nil {
			_ = huma.WriteErr(a, ctx, http.StatusServiceUnavailable, "checking the api key", err)
			return
		}
		if key == nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="fnchain", error="invalid_token"`)
			_ = huma.WriteErr(a, ctx, http.StatusUnauthorized, "unknown api key: it was revoked or mistyped")
			return
		}
		if !allows(key.Scope, needs) {
			_ = huma.WriteErr(a, ctx, http.StatusForbidden, "api key "+key.ID+" has scope "+key.Scope+", this operation needs "+needs)
			return
		}
		if wait := limits.take(key.ID); wait > 0 {
			ctx.SetHeader("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			_ = huma.WriteErr(a, ctx, http.StatusTooManyRequests, "rate limit of api key "+key.ID+" exceeded: retry after the Retry-After seconds")
			return
		}
		next(ctx)
	}
}

// limiter keeps a token bucket per API key.
type limiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		perSecond = 50
	}
	if burst <= 0 {
		burst = 100
	}
	return &limiter{every: rate.Limit(perSecond), burst: burst, buckets: map[string]*rate.Limiter{}}
}

// take spends a token of key's bucket; when there is none it spends
// nothing and says how long until there is.
func (l *limiter) take(key string) time.Duration {
	l.mu.Lock()
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	now := time.Now()
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}
