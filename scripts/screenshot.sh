#!/usr/bin/env bash
# Takes docs/img/run-in-temporal-ui.png: a run of scripts/hello.yaml in the
# real Temporal UI of `orchestrator dev --memory`, in headless Chromium.
#
#   scripts/screenshot.sh                              # builds the orchestrator first
#   ORCHESTRATOR=/path/to/orchestrator scripts/screenshot.sh
#
# Needs Go, curl and Chromium (Debian: apt-get install -y chromium). Nothing
# outside this machine is contacted; the stack keeps nothing on disk.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$repo/docs/img/run-in-temporal-ui.png}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z $chromium ]]; then
  echo "screenshot.sh: no chromium: install it (Debian: apt-get install -y chromium) or set CHROMIUM" >&2
  exit 1
fi

tmp=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

bin=${ORCHESTRATOR:-}
if [[ -z $bin ]]; then
  echo "building the orchestrator (the first build takes a few minutes)"
  (cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$tmp/orchestrator" ./cmd/orchestrator)
  bin=$tmp/orchestrator
fi

# A port nobody listens on: connecting to it fails.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}
temporal_port=$(free_port)
ui_port=$(free_port)
api_port=$(free_port)
api=http://127.0.0.1:$api_port

"$bin" dev --memory --temporal-port "$temporal_port" --ui-port "$ui_port" \
  --listen "127.0.0.1:$api_port" >"$tmp/dev.log" 2>&1 &
pid=$!
for _ in $(seq 120); do
  if curl -fsS "$api/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "screenshot.sh: orchestrator dev exited:" >&2
    cat "$tmp/dev.log" >&2
    exit 1
  fi
  sleep 1
done
curl -fsS "$api/readyz" >/dev/null

curl -fsS -X PUT -H 'Content-Type: application/yaml' --data-binary @"$repo/scripts/hello.yaml" \
  "$api/v1/workflows/hello" >/dev/null
# ?wait returns once the run has ended, so the UI shows a completed run.
run=$(curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"name\": \"Ada\", \"api\": \"$api\"}" "$api/v1/workflows/hello/runs?wait=30s")
ui_url=$(printf '%s' "$run" | sed -n 's/.*"uiUrl": *"\([^"]*\)".*/\1/p')
if [[ -z $ui_url ]]; then
  echo "screenshot.sh: the run's answer has no uiUrl: $run" >&2
  exit 1
fi
echo "run: $ui_url"

mkdir -p "$(dirname "$out")"
# The UI is a single-page app: the virtual time budget lets it fetch the
# history and render before the picture is taken.
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$tmp/chromium" --window-size=1400,900 \
  --virtual-time-budget=15000 --screenshot="$out" "$ui_url" >"$tmp/chromium.log" 2>&1 || {
  cat "$tmp/chromium.log" >&2
  exit 1
}
echo "wrote $out"
