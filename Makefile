# objectstore-webhook. `make run` and `make test` install what they need (see hack/tools/install.sh);
# everything built lands in the gitignored bin/.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec
.DEFAULT_GOAL := build

include hack/tools/tools.mk

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
PKG     := github.com/objectstore-webhook/objectstore-webhook
# The same flags the Dockerfile uses, so `make build` exercises the image's build.
LDFLAGS := -s -w -X $(PKG)/internal/version.Version=$(VERSION) -X $(PKG)/internal/version.Commit=$(COMMIT)
GOBUILD := CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)"

# The names the tests read (CONTRIBUTING.md).
export MINIO_BIN := $(MINIO)
export FAKE_GCS_SERVER_BIN := $(FAKE_GCS_SERVER)
export AZURITE_BIN := $(AZURITE)
export OBJECTSTORE_WEBHOOK_BIN := $(abspath bin/objectstore-webhook)
export WAL_ARCHIVER_BIN := $(abspath bin/wal-archiver)
# Tests talk to 127.0.0.1 only: never let the AWS SDK's credential chain probe the instance metadata address.
export AWS_EC2_METADATA_DISABLED := true

# How long each fuzz target runs in `make test` (a smoke run; `make fuzz FUZZTIME=10m` digs deeper).
FUZZTIME ?= 10s

.PHONY: build test unit integration fuzz bench run generate verify image clean

build: ## build both binaries into bin/
	$(GOBUILD) -o bin/objectstore-webhook ./cmd/objectstore-webhook
	$(GOBUILD) -o bin/wal-archiver ./cmd/wal-archiver
	@# -X names a variable by its package path and ignores one that is not there, so a moved
	@# package would ship unstamped binaries (and a release's webhook would inject :latest, not its own tag).
	@for b in objectstore-webhook wal-archiver; do \
		got=$$(bin/$$b version); want="$$b $(VERSION) ($(COMMIT))"; \
		[[ $$got == "$$want" ]] || { echo "bin/$$b version printed '$$got', want '$$want' (check LDFLAGS)" >&2; exit 1; }; \
	done

generate: controller-gen ## regenerate deepcopy and CRDs
	$(CONTROLLER_GEN) object paths=./schema/...
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=./schema/barmancloud/... output:crd:artifacts:config=manifests/crd
	$(CONTROLLER_GEN) crd:crdVersions=v1 paths=./schema/cnpg/... output:crd:artifacts:config=e2e/testdata/crd

verify: ## static checks: formatting and vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	go vet -tags integration ./...

unit: ## unit tests only (no external processes)
	go test -count=1 ./...

integration: build tools ## unit + integration + e2e: real kube-apiserver, etcd, kubectl, PostgreSQL, MinIO, Azurite, fake-gcs-server
	go test -tags integration -count=1 -timeout 40m -p 2 ./...

fuzz: ## run every fuzz target for FUZZTIME
	FUZZTIME=$(FUZZTIME) hack/fuzz.sh

test: verify integration fuzz ## what CI runs: everything, installing what it needs

bench: build tools ## benchmarks (figures go in the README)
	go test -run '^$$' -bench . -benchmem ./webhooks/...
	go test -tags integration -run '^$$' -bench . -benchmem -timeout 30m ./archiver/...

run: build controlplane ## a local control plane with the webhook; Ctrl-C stops everything
	go run ./cmd/localcluster

image: ## build the container image (needs a Docker engine)
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t objectstore-webhook:$(VERSION) .

clean:
	rm -rf bin/objectstore-webhook bin/wal-archiver
