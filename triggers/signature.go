package triggers

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// StripeTolerance is how old a Stripe-style signature timestamp may be;
// older requests are refused as replays.
const StripeTolerance = 5 * time.Minute

var errUnsigned = errors.New("the request carries no signature: send X-Hub-Signature-256 (sha256=<hex hmac of the body>), Stripe-Signature (t=<unix time>,v1=<hex hmac of \"t.body\">) or Authorization: Bearer <secret>")

// verify checks that the request was made by someone who holds secret, by
// whichever of the supported schemes it uses: a GitHub-style HMAC of the
// body, a Stripe-style HMAC of timestamp and body, or the secret itself as a
// bearer token. Each one proves possession of the secret.
func verify(h http.Header, body []byte, secret string, now time.Time) error {
	switch {
	case h.Get("X-Hub-Signature-256") != "":
		return verifyGitHub(h.Get("X-Hub-Signature-256"), body, secret)
	case h.Get("Stripe-Signature") != "":
		return verifyStripe(h.Get("Stripe-Signature"), body, secret, now)
	case strings.HasPrefix(h.Get("Authorization"), "Bearer "):
		got := strings.TrimPrefix(h.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			return errors.New("the bearer token does not match the trigger's secret")
		}
		return nil
	}
	return errUnsigned
}

func verifyGitHub(header string, body []byte, secret string) error {
	sig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return errors.New("header X-Hub-Signature-256 must be sha256=<hex>")
	}
	if !hmacMatches(sig, body, secret) {
		return errors.New("header X-Hub-Signature-256 does not match the body: sign the exact body bytes with the trigger's secret")
	}
	return nil
}

func verifyStripe(header string, body []byte, secret string, now time.Time) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("header Stripe-Signature must be t=<unix seconds>,v1=<hex>")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > StripeTolerance || d < -StripeTolerance {
		return errors.New("header Stripe-Signature timestamp is more than 5m away from now: the request is stale or replayed")
	}
	signed := append([]byte(ts+"."), body...)
	for _, s := range sigs {
		if hmacMatches(s, signed, secret) {
			return nil
		}
	}
	return errors.New("header Stripe-Signature does not match: sign \"<t>.<body>\" with the trigger's secret")
}

func hmacMatches(hexSig string, msg []byte, secret string) bool {
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, Sign(msg, secret))
}

// Sign is the HMAC-SHA256 of msg with secret, as webhook senders compute it.
func Sign(msg []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(msg)
	return m.Sum(nil)
}
