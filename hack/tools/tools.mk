# hack/tools/tools.mk — Makefile fragment for third-party binaries the tests
# need. The root Makefile does `include hack/tools/tools.mk`.
#
# Everything is built or installed by hack/tools/install.sh into the
# gitignored bin/ and skipped when already there (a stamp file
# bin/.<name>.version records what was built), so depending on these targets
# costs nothing after the first run.
#
# Only the Go module proxy, Debian's apt and npm are reachable here and in CI,
# so setup-envtest's download of kube-apiserver/etcd is not tried: the control
# plane is always built from the module proxy (about 5 minutes cold on an idle
# 2-core machine; 18 minutes for every Go tool; see install.sh).
#
#   make tools           everything
#   make controlplane    bin/k8s/kube-apiserver + bin/k8s/etcd (KUBEBUILDER_ASSETS) + bin/k8s/kubectl
#   make controller-gen  bin/controller-gen
#   make helm            bin/helm (the chart's tests)
#   make test-services   bin/minio, bin/fake-gcs-server, bin/azurite, Debian PostgreSQL, codec tools,
#                        Debian barman-cli-cloud
#   eval "$(make -s tools-env)"   exports the variables below into a shell

TOOLS_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
TOOLS_ROOT := $(abspath $(TOOLS_DIR)/../..)
TOOLS_BIN ?= $(TOOLS_ROOT)/bin
TOOLS_INSTALL := TOOLS_BIN=$(TOOLS_BIN) $(TOOLS_ROOT)/hack/tools/install.sh

# envtest (controller-runtime) finds kube-apiserver and etcd here.
KUBEBUILDER_ASSETS ?= $(TOOLS_BIN)/k8s
KUBE_APISERVER ?= $(KUBEBUILDER_ASSETS)/kube-apiserver
ETCD ?= $(KUBEBUILDER_ASSETS)/etcd
# The tests' kubectl: the same release as kube-apiserver, whatever the PATH has.
KUBECTL ?= $(KUBEBUILDER_ASSETS)/kubectl
CONTROLLER_GEN ?= $(TOOLS_BIN)/controller-gen
# The chart's tests: helm lint, helm template (compared with kustomize), e2e server dry-runs.
HELM ?= $(TOOLS_BIN)/helm
MINIO ?= $(TOOLS_BIN)/minio
FAKE_GCS_SERVER ?= $(TOOLS_BIN)/fake-gcs-server
AZURITE ?= $(TOOLS_BIN)/azurite/node_modules/.bin/azurite-blob
# The PodMonitor and PrometheusRule CRDs the e2e suite installs to check manifests/monitoring.
PROMETHEUS_OPERATOR_CRDS ?= $(TOOLS_BIN)/crds/prometheus-operator
# Debian's PostgreSQL (initdb, postgres, pg_ctl, pgbench, pg_receivewal, ...);
# the highest installed major. Recursive on purpose: on a fresh machine it is
# only there after `make test-services`.
PG_BINDIR ?= $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -1)
# Debian's barman-cli-cloud (barman-cloud-backup, -restore, -wal-archive, ...), the upstream oracle of
# the base-backup cross-tests; where apt puts it.
BARMAN_BINDIR ?= /usr/bin

export KUBEBUILDER_ASSETS KUBE_APISERVER ETCD KUBECTL HELM CONTROLLER_GEN MINIO FAKE_GCS_SERVER AZURITE PROMETHEUS_OPERATOR_CRDS PG_BINDIR BARMAN_BINDIR

.PHONY: tools controlplane controller-gen helm test-services tools-env

tools:
	$(TOOLS_INSTALL) all

controlplane:
	$(TOOLS_INSTALL) controlplane

controller-gen:
	$(TOOLS_INSTALL) controller-gen

helm:
	$(TOOLS_INSTALL) helm

test-services:
	$(TOOLS_INSTALL) test-services

tools-env:
	@echo "export KUBEBUILDER_ASSETS='$(KUBEBUILDER_ASSETS)'"
	@echo "export KUBE_APISERVER='$(KUBE_APISERVER)'"
	@echo "export ETCD='$(ETCD)'"
	@echo "export KUBECTL='$(KUBECTL)'"
	@echo "export HELM='$(HELM)'"
	@echo "export CONTROLLER_GEN='$(CONTROLLER_GEN)'"
	@echo "export MINIO='$(MINIO)'"
	@echo "export FAKE_GCS_SERVER='$(FAKE_GCS_SERVER)'"
	@echo "export AZURITE='$(AZURITE)'"
	@# The names the tests read (CONTRIBUTING.md), so a shell can run `go test -tags integration` by hand.
	@echo "export MINIO_BIN='$(MINIO)' FAKE_GCS_SERVER_BIN='$(FAKE_GCS_SERVER)' AZURITE_BIN='$(AZURITE)'"
	@echo "export PROMETHEUS_OPERATOR_CRDS='$(PROMETHEUS_OPERATOR_CRDS)'"
	@echo "export PG_BINDIR='$(PG_BINDIR)'"
	@echo "export BARMAN_BINDIR='$(BARMAN_BINDIR)'"
