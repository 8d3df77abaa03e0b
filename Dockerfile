# syntax=docker/dockerfile:1.7
# Both binaries in one distroless image: the webhook (ENTRYPOINT) and wal-archiver, which the webhook
# injects as the sidecar of CloudNativePG instance pods, so one image tag pins both sides of the contract.
#
#   docker build --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) -t IMAGE .

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
# The same line as the Makefile's build, so a local binary and the image's are built alike.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath \
      -ldflags "-s -w -X github.com/objectstore-webhook/objectstore-webhook/internal/version.Version=${VERSION} -X github.com/objectstore-webhook/objectstore-webhook/internal/version.Commit=${COMMIT}" \
      -o /out/ ./cmd/objectstore-webhook ./cmd/wal-archiver

# Static binaries need no libc; the nonroot variant has the 65532 user the manifests run as, CA roots for
# the object stores, and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/objectstore-webhook /out/wal-archiver /usr/local/bin/
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/objectstore-webhook"]
