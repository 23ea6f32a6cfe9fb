# syntax=docker/dockerfile:1
# The orchestrator in a small image: one static binary on distroless, as the
# non-root user 65532. The embedded Temporal server stores in SQLite through
# modernc.org/sqlite (pure Go), so nothing needs cgo and the binary runs
# without a libc.
#
#   docker build --build-arg VERSION=v1.2.3 -t ghcr.io/fnchain/orchestrator:v1.2.3 .
#
# Keep the build line in step with tests/container_test.go, which builds the
# binary the same way and checks that it is static.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first, so that a change to the sources alone reuses this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/orchestrator ./cmd/orchestrator
# The working directory, where `orchestrator dev` keeps ./.fnchain and
# `orchestrator keys` finds it; owned by the runtime user, so an empty volume
# mounted there inherits the owner.
RUN mkdir -p /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/orchestrator /usr/local/bin/orchestrator
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
USER 65532:65532
# 8080: the fnchain API; 7233: Temporal gRPC and 8233: Temporal UI, both
# only served by `orchestrator dev`.
EXPOSE 8080 7233 8233
ENTRYPOINT ["/usr/local/bin/orchestrator"]
# Beyond loopback the API refuses to start without an API key: create one
# first (docs/deploy.md) or add --insecure on a machine nobody else reaches.
CMD ["dev", "--ip", "0.0.0.0", "--listen", "0.0.0.0:8080"]
