# syntax=docker/dockerfile:1
# phonecheck: one static binary in a distroless image, run as non-root.
#
#   docker build -t phonecheck .
#   docker run --rm phonecheck version
#
# Build stage: the Go toolchain the project pins (go.mod: go 1.26.8).
ARG GO_VERSION=1.26.8
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=""
# CGO_ENABLED=0: everything (SQLite included, modernc.org/sqlite) is pure
# Go, so the binary is static and runs on distroless/static. -tags noui
# leaves out the Temporal Web UI of `up` (250 MB of assets): the compose
# project runs Temporal's own UI image.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -tags noui \
      -ldflags "-s -w -X github.com/phonecheck/phonecheck/cmd/phonecheck/internal/cli.Version=${VERSION}" \
      -o /out/phonecheck ./cmd/phonecheck
# /data is where named volumes mount: created here, owned by the runtime
# user, so a fresh volume starts writable for it.
RUN mkdir -p /out/data && chown 65532:65532 /out/data

# Runtime: CA certificates and tzdata, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /out/phonecheck /usr/local/bin/phonecheck
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
ENV PHONECHECK_DATA_DIR=/data/state \
    PHONECHECK_LOG_FORMAT=json
USER 65532:65532
# 8080: the offline task API (serve); 9090: /metrics, /healthz, /readyz.
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/phonecheck"]
CMD ["--help"]
