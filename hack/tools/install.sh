#!/usr/bin/env bash
# hack/tools/install.sh — builds or installs every third-party binary the tests
# need, into the gitignored bin/ at the repository root.
#
#   hack/tools/install.sh [TARGET...]
#
# TARGET (default: all):
#   controlplane     kube-apiserver + etcd + kubectl into bin/k8s/ (KUBEBUILDER_ASSETS)
#   kube-apiserver   bin/k8s/kube-apiserver  (k8s.io/kubernetes, hack/tools/kube-apiserver)
#   kubectl          bin/k8s/kubectl         (the same module and version as kube-apiserver)
#   etcd             bin/k8s/etcd            (go.etcd.io/etcd/server/v3, hack/tools/etcd)
#   controller-gen   bin/controller-gen      (sigs.k8s.io/controller-tools, hack/tools/controller-gen)
#   helm             bin/helm                (helm.sh/helm/v4, hack/tools/helm): the chart's lint,
#                    template and e2e dry-run tests
#   minio            bin/minio               (go install github.com/minio/minio@MINIO_VERSION)
#   fake-gcs-server  bin/fake-gcs-server     (go install github.com/fsouza/fake-gcs-server@...)
#   azurite          bin/azurite/node_modules/.bin/azurite-blob (npm)
#   postgresql       Debian's PostgreSQL server (apt-get, only if no initdb is found)
#   codec-tools      gzip bzip2 xz zstd lz4 (apt-get, only those missing)
#   barman           Debian's barman-cli-cloud with python3-boto3 and python3-azure
#                    (apt-get, only those missing): barman-cloud-backup, -restore,
#                    -wal-archive, -wal-restore, -backup-list, -backup-delete, the
#                    oracle that upstream reads what we write (S3 and Azure; Debian
#                    has no Google Cloud library for it)
#   prometheus-operator-crds  bin/crds/prometheus-operator/: the PodMonitor and PrometheusRule CRDs
#                    from the prometheus-operator module on the proxy, for the e2e check of
#                    manifests/monitoring
#   test-services    minio fake-gcs-server azurite postgresql codec-tools barman
#   all              everything above
#
# Every tool is skipped when its binary exists and bin/.<name>.version holds the
# expected stamp, so a second run costs nothing. Delete bin/ (or one stamp
# file) to force a rebuild.
#
# Only the Go module proxy, Debian's apt and the npm registry are reachable
# here and in CI, and there is no Docker. controller-runtime's setup-envtest
# downloads prebuilt kube-apiserver/etcd from a bucket that is not reachable,
# so this script does not try it: it always builds the control plane from the
# module proxy, then keeps it in bin/.
#
# Measured on the 2-core machine, wall time:
#   inside a cold CI run (empty GOCACHE and module cache, after `go vet` had
#   compiled the project's own dependencies; machine otherwise idle):
#     kube-apiserver 286s, etcd 31s, controller-gen 19s, minio 146s,
#     fake-gcs-server 40s; azurite 26s beside them
#   kubectl 22s, right after kube-apiserver (they share most of their packages)
#   cold, alone, with other builds running (nice -n 10), 18m18s in all:
#     kube-apiserver 316s, etcd 34s, controller-gen 19s, minio 479s,
#     fake-gcs-server 250s (each after the ones before it, sharing the cache)
#   each alone with an empty GOCACHE: etcd 144s, controller-gen 60s
#   azurite (npm) 30s; postgresql (apt-get update + install) 67s
#   helm 1390s (318s user CPU) with an empty GOCACHE, beside other sessions'
#     builds (load average about 30); module cache warm
#   GOCACHE warm but bin/ empty (a fresh clone on the same machine): 43s in all
#   under heavy load (load average 20+) kube-apiserver took 1908s: niced
#   builds starve when the machine is busy.
#
# Environment:
#   TOOLS_BIN   output directory (default: <repo>/bin)
#   NICE        command prefix for builds (default: "nice -n 10")
#   GOCACHE etc. are honoured as usual.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${TOOLS_BIN:-$ROOT/bin}
read -r -a NICE_CMD <<<"${NICE-nice -n 10}"

# ---- pinned versions -------------------------------------------------------
# The Go tool modules' versions are read from their go.mod (single source of
# truth); the others are pinned here.
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c # == @latest on the proxy; MinIO is source-only now, no semver tags
FAKE_GCS_SERVER_VERSION=v1.56.1
PROMETHEUS_OPERATOR_VERSION=v0.85.0
AZURITE_VERSION=3.35.0 # 3.36.0 needs Node >= 21, 3.37.0 Node >= 22; Node 20 is on the machine
# Stamps already include versions, tool-module hashes and ldflags; bump this
# when a build recipe changes in some other way, to force rebuilds.
RECIPE=1

log() { printf '%s\n' "install.sh: $*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

CURRENT=""
trap 'rc=$?; if [[ $rc -ne 0 && -n $CURRENT ]]; then log "FAILED: $CURRENT (exit $rc; see the output above)"; fi' EXIT

# modversion GO_MOD_FILE MODULE -> version required in that go.mod
modversion() {
	local v
	v=$(awk -v m="$2" '
		$1 == "require" && $2 == m { print $3; exit }
		$1 == m && $2 ~ /^v/ { print $2; exit }' "$1")
	[[ -n $v ]] || die "$2 is not required in $1"
	printf '%s' "$v"
}

# modhash DIR -> short hash of DIR's go.mod, go.sum and *.go, so that editing
# a tool module rebuilds its binary.
modhash() {
	(cd "$1" && cat go.mod go.sum $(ls ./*.go 2>/dev/null) | sha256sum | cut -c1-16)
}

# uptodate NAME BINARY STAMP -> 0 when BINARY exists and bin/.NAME.version == STAMP
uptodate() {
	local f="$BIN/.$1.version"
	[[ -x $2 && -f $f && "$(cat "$f")" == "$3" ]]
}

record() { printf '%s\n' "$2" >"$BIN/.$1.version"; }

# lock NAME: serialise concurrent runs (e.g. make -j) on the same tool.
lock() {
	if command -v flock >/dev/null; then
		exec {LOCKFD}>"$BIN/.$1.lock"
		flock "$LOCKFD"
	fi
}
unlock() {
	if [[ -n ${LOCKFD-} ]]; then
		exec {LOCKFD}>&-
		LOCKFD=""
	fi
}

START=0
begin() {
	CURRENT=$1
	START=$(date +%s)
	log "building $1 $2 ..."
}
done_() {
	log "built $CURRENT in $(($(date +%s) - START))s -> $1"
	CURRENT=""
}

need_go() {
	command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is required)"
	local v
	v=$(go env GOVERSION)
	case $v in
	go1.2[6-9]* | go1.[3-9][0-9]* | go[2-9]*) ;;
	*) die "Go >= 1.26 is required, found $v" ;;
	esac
}

# Builds a binary from a tool module: gobuild NAME MODDIR OUT PKG LDFLAGS
gobuild() {
	local name=$1 dir=$2 out=$3 pkg=$4 ldflags=$5
	mkdir -p "$(dirname "$out")"
	(
		cd "$dir"
		# -mod=mod: tolerate a go.sum missing lines on a different Go patch
		# release instead of failing; go.mod/go.sum are tidy and committed.
		CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod -buildvcs=false" \
			"${NICE_CMD[@]}" go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg"
	)
	mv -f "$out.tmp" "$out"
}

# firstline CMD... -> the first line CMD prints. Not `CMD | head -1`: under
# pipefail, head exits after one line and a CMD that writes the rest in later
# writes (etcd --version does) dies of SIGPIPE, failing the pipeline at random.
firstline() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	if ((rc != 0)); then
		printf '%s\n' "$out" >&2 # what the failing command said, for the log
		return "$rc"
	fi
	printf '%s\n' "${out%%$'\n'*}"
}

# flagshash LDFLAGS -> short hash, part of the stamp so that changing the
# flags of one tool rebuilds that tool only.
flagshash() { printf '%s' "$1" | sha256sum | cut -c1-8; }

# ---- kube-apiserver, kubectl ----------------------------------------------
# k8s_ldflags VERSION -> the variables kubernetes' hack/lib/version.sh sets.
# Then --version prints "Kubernetes v1.37.2" and /version reports gitVersion
# v1.37.2, major 1, minor 37 (the binary/emulation version 1.37 comes from the
# DefaultKubeBinaryVersion constant in component-base v0.37.x, which
# matches). The release's commit is not known from the module proxy, so
# gitCommit is left empty; buildDate is fixed for reproducible builds.
k8s_ldflags() {
	local v=$1 major minor p ldflags="-s -w"
	major=${v#v}
	major=${major%%.*}
	minor=${v#v*.}
	minor=${minor%%.*}
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor"
		ldflags+=" -X $p.gitCommit= -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
	done
	printf '%s' "$ldflags"
}

install_kube_apiserver() {
	local dir=$HERE/kube-apiserver out=$BIN/k8s/kube-apiserver v stamp ldflags
	v=$(modversion "$dir/go.mod" k8s.io/kubernetes)
	ldflags=$(k8s_ldflags "$v")
	stamp="kube-apiserver $v mod=$(modhash "$dir") flags=$(flagshash "$ldflags") recipe=$RECIPE"
	lock kube-apiserver
	if uptodate kube-apiserver "$out" "$stamp"; then
		log "kube-apiserver $v is up to date ($out)"
		unlock
		return
	fi
	need_go
	begin kube-apiserver "$v"
	gobuild kube-apiserver "$dir" "$out" k8s.io/kubernetes/cmd/kube-apiserver "$ldflags"
	local got
	got=$("$out" --version) || die "$out --version failed"
	[[ $got == "Kubernetes $v" ]] || die "$out --version printed '$got', want 'Kubernetes $v'"
	record kube-apiserver "$stamp"
	done_ "$out ($got)"
	unlock
}

# The tests drive the API server with this kubectl rather than whatever is on
# the PATH, so that client and server are the same release (kubectl supports
# one minor version of skew either way; the machine's may be far older).
install_kubectl() {
	local dir=$HERE/kube-apiserver out=$BIN/k8s/kubectl v stamp ldflags
	v=$(modversion "$dir/go.mod" k8s.io/kubernetes)
	ldflags=$(k8s_ldflags "$v")
	stamp="kubectl $v mod=$(modhash "$dir") flags=$(flagshash "$ldflags") recipe=$RECIPE"
	lock kubectl
	if uptodate kubectl "$out" "$stamp"; then
		log "kubectl $v is up to date ($out)"
		unlock
		return
	fi
	need_go
	begin kubectl "$v"
	gobuild kubectl "$dir" "$out" k8s.io/kubernetes/cmd/kubectl "$ldflags"
	local got
	got=$("$out" version --client -o yaml) || die "$out version failed"
	got=$(sed -n 's/^ *gitVersion: //p' <<<"$got")
	got=${got%%$'\n'*}
	[[ $got == "$v" ]] || die "$out version --client printed gitVersion '$got', want '$v'"
	record kubectl "$stamp"
	done_ "$out ($got)"
	unlock
}

# ---- etcd -------------------------------------------------------------------
install_etcd() {
	local dir=$HERE/etcd out=$BIN/k8s/etcd v stamp ldflags
	v=$(modversion "$dir/go.mod" go.etcd.io/etcd/server/v3)
	# etcd's ./build sets GitSHA from git; none here, so say where it came from.
	ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-proxy-$v"
	stamp="etcd $v mod=$(modhash "$dir") flags=$(flagshash "$ldflags") recipe=$RECIPE"
	lock etcd
	if uptodate etcd "$out" "$stamp"; then
		log "etcd $v is up to date ($out)"
		unlock
		return
	fi
	need_go
	begin etcd "$v"
	gobuild etcd "$dir" "$out" . "$ldflags"
	local got
	got=$(firstline "$out" --version) || die "$out --version failed"
	[[ $got == "etcd Version: ${v#v}" ]] || die "$out --version printed '$got', want 'etcd Version: ${v#v}'"
	record etcd "$stamp"
	done_ "$out ($got)"
	unlock
}

# ---- controller-gen --------------------------------------------------------
install_controller_gen() {
	local dir=$HERE/controller-gen out=$BIN/controller-gen v stamp ldflags
	v=$(modversion "$dir/go.mod" sigs.k8s.io/controller-tools)
	# Built as a dependency, controller-gen would report "(devel)" and write
	# that into the CRDs' controller-gen.kubebuilder.io/version annotation.
	ldflags="-s -w -X sigs.k8s.io/controller-tools/pkg/version.version=$v"
	stamp="controller-gen $v mod=$(modhash "$dir") flags=$(flagshash "$ldflags") recipe=$RECIPE"
	lock controller-gen
	if uptodate controller-gen "$out" "$stamp"; then
		log "controller-gen $v is up to date ($out)"
		unlock
		return
	fi
	need_go
	begin controller-gen "$v"
	gobuild controller-gen "$dir" "$out" sigs.k8s.io/controller-tools/cmd/controller-gen "$ldflags"
	local got
	got=$("$out" --version) || die "$out --version failed"
	[[ $got == "Version: $v" ]] || die "$out --version printed '$got', want 'Version: $v'"
	record controller-gen "$stamp"
	done_ "$out ($got)"
	unlock
}

# ---- helm --------------------------------------------------------------------
install_helm() {
	local dir=$HERE/helm out=$BIN/helm v stamp ldflags p=helm.sh/helm/v4/internal/version
	v=$(modversion "$dir/go.mod" helm.sh/helm/v4)
	# The variables helm's Makefile sets for a tagged release; without them `helm version` reports the
	# bare "v4.3" of the source and an empty commit. The commit is not known from the module proxy.
	ldflags="-s -w -X $p.version=$v -X $p.metadata= -X $p.gitCommit= -X $p.gitTreeState=clean"
	stamp="helm $v mod=$(modhash "$dir") flags=$(flagshash "$ldflags") recipe=$RECIPE"
	lock helm
	if uptodate helm "$out" "$stamp"; then
		log "helm $v is up to date ($out)"
		unlock
		return
	fi
	need_go
	begin helm "$v"
	gobuild helm "$dir" "$out" helm.sh/helm/v4/cmd/helm "$ldflags"
	local got
	got=$("$out" version --template '{{.Version}}') || die "$out version failed"
	[[ $got == "$v" ]] || die "$out version printed '$got', want '$v'"
	record helm "$stamp"
	done_ "$out ($got)"
	unlock
}

# goinstall NAME PKG@VERSION LDFLAGS: `go install` into bin/ (uses the upstream
# module's own go.mod and go.sum, checked against the checksum database; both
# modules have no replace directives, which `go install pkg@version` needs).
goinstall() {
	local name=$1 pkgv=$2 ldflags=$3 tmp
	tmp=$(mktemp -d "$BIN/.$name.XXXXXX")
	if ! GOBIN=$tmp CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
		"${NICE_CMD[@]}" go install -trimpath -ldflags "$ldflags" "$pkgv"; then
		rm -rf "$tmp"
		die "go install $pkgv failed"
	fi
	mv -f "$tmp/$name" "$BIN/$name"
	rm -rf "$tmp"
}

# ---- minio -----------------------------------------------------------------
install_minio() {
	local out=$BIN/minio v=$MINIO_VERSION stamp
	# v0.0.0-20260212201848-7aac2a2c5b7c -> 2026-02-12T20:18:48Z, 7aac2a2c5b7c
	local ts=${v#v0.0.0-} commit
	commit=${ts#*-}
	ts=${ts%%-*}
	local iso="${ts:0:4}-${ts:4:2}-${ts:6:2}T${ts:8:2}:${ts:10:2}:${ts:12:2}Z"
	local tag="DEVELOPMENT.${iso//:/-}"
	local p=github.com/minio/minio/cmd
	# The variables MinIO's buildscripts/gen-ldflags.go sets (a plain
	# `go install` reports DEVELOPMENT.GOGET).
	local ldflags="-s -w -X $p.Version=$iso -X $p.ReleaseTag=$tag -X $p.CommitID=$commit -X $p.ShortCommitID=$commit -X $p.CopyrightYear=${ts:0:4}"
	stamp="minio $v flags=$(flagshash "$ldflags") recipe=$RECIPE"
	lock minio
	if uptodate minio "$out" "$stamp"; then
		log "minio $v is up to date ($out)"
		unlock
		return
	fi
	need_go
	begin minio "$v"
	goinstall minio "github.com/minio/minio@$v" "$ldflags"
	local got
	got=$(firstline "$out" --version) || die "$out --version failed"
	record minio "$stamp"
	done_ "$out ($got)"
	unlock
}

# ---- prometheus-operator CRDs ------------------------------------------------
# The module's zip carries example/prometheus-operator-crd/, the CRDs as the
# operator's releases ship them; only the two kinds manifests/monitoring uses
# are kept.
install_prometheus_operator_crds() {
	local out=$BIN/crds/prometheus-operator v=$PROMETHEUS_OPERATOR_VERSION stamp dir f
	stamp="prometheus-operator-crds $v recipe=$RECIPE"
	lock prometheus-operator-crds
	if uptodate prometheus-operator-crds "$out" "$stamp"; then
		log "prometheus-operator CRDs $v are up to date ($out)"
		unlock
		return
	fi
	need_go
	begin prometheus-operator-crds "$v"
	dir=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$v" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -n $dir && -d $dir ]] || die "go mod download of prometheus-operator $v gave no directory"
	rm -rf "$out"
	mkdir -p "$out"
	for f in monitoring.coreos.com_podmonitors.yaml monitoring.coreos.com_prometheusrules.yaml; do
		install -m 0644 "$dir/example/prometheus-operator-crd/$f" "$out/$f"
	done
	record prometheus-operator-crds "$stamp"
	done_ "$out"
	unlock
}

# ---- fake-gcs-server -------------------------------------------------------
install_fake_gcs_server() {
	local out=$BIN/fake-gcs-server v=$FAKE_GCS_SERVER_VERSION stamp ldflags="-s -w"
	stamp="fake-gcs-server $v flags=$(flagshash "$ldflags") recipe=$RECIPE"
	lock fake-gcs-server
	if uptodate fake-gcs-server "$out" "$stamp"; then
		log "fake-gcs-server $v is up to date ($out)"
		unlock
		return
	fi
	need_go
	begin fake-gcs-server "$v"
	goinstall fake-gcs-server "github.com/fsouza/fake-gcs-server@$v" "$ldflags"
	# It has no -version flag; -help exits 0 (or 2 on older flag packages).
	"$out" -help >/dev/null 2>&1 || [[ $? -eq 2 ]] || die "$out -help failed"
	record fake-gcs-server "$stamp"
	done_ "$out"
	unlock
}

# ---- azurite (npm) ---------------------------------------------------------
install_azurite() {
	local dir=$BIN/azurite out=$BIN/azurite/node_modules/.bin/azurite-blob v=$AZURITE_VERSION
	local stamp="azurite $v recipe=$RECIPE"
	lock azurite
	if uptodate azurite "$out" "$stamp"; then
		log "azurite $v is up to date ($out)"
		unlock
		return
	fi
	if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
		log "node/npm not found: installing Debian's nodejs and npm"
		apt_install nodejs npm
	fi
	begin azurite "$v"
	mkdir -p "$dir"
	"${NICE_CMD[@]}" npm install --prefix "$dir" --no-audit --no-fund --save-exact "azurite@$v"
	[[ -x $out ]] || die "npm install azurite@$v did not create $out"
	local got
	got=$("$out" --version) || die "$out --version failed"
	[[ $got == "$v" ]] || die "$out --version printed '$got', want '$v'"
	record azurite "$stamp"
	done_ "$out ($got)"
	unlock
}

# ---- postgresql (Debian) ---------------------------------------------------
SUDO=()
APT_UPDATED=""
apt_update() {
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null || die "need root (or sudo) for apt-get"
		SUDO=(sudo)
	fi
	if [[ -z $APT_UPDATED ]]; then
		"${SUDO[@]}" apt-get update || die "apt-get update failed"
		APT_UPDATED=1
	fi
}
apt_install() {
	apt_update
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" ||
		die "apt-get install $* failed"
}

pg_bindir() {
	local d
	# Highest major version wins.
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -1)
	[[ -n $d && -x $d/initdb ]] && printf '%s' "$d"
}

install_postgresql() {
	local d
	lock postgresql
	if d=$(pg_bindir) && [[ -x $d/pgbench ]]; then
		log "postgresql is installed ($d, $("$d/postgres" --version))"
	else
		begin postgresql "from Debian"
		# Debian 12 has postgresql-15; initdb, postgres, pg_ctl, pgbench,
		# pg_receivewal, pg_basebackup are all in the server package
		# (pgbench is not in -contrib). Elsewhere take Debian's default major.
		apt_update
		if apt-cache show postgresql-15 >/dev/null 2>&1; then
			apt_install postgresql-15
		else
			apt_install postgresql
		fi
		d=$(pg_bindir) || die "no /usr/lib/postgresql/*/bin/initdb after installing PostgreSQL"
		[[ -x $d/pgbench ]] || die "$d/pgbench is missing"
		done_ "$d ($("$d/postgres" --version))"
	fi
	record postgresql "bindir=$d $("$d/postgres" --version)"
	unlock
}

# ---- codec tools (Debian) --------------------------------------------------
# The archiver's codec tests decompress what it writes with the reference command-line tools, so a
# compatibility bug cannot hide behind our own decoder.
install_codec_tools() {
	local missing=() tool pkg
	for tool in gzip:gzip bzip2:bzip2 xz:xz-utils zstd:zstd lz4:lz4; do
		command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		log "codec tools are installed (gzip bzip2 xz zstd lz4)"
		return
	fi
	begin codec-tools "${missing[*]}"
	apt_install "${missing[@]}"
	for pkg in gzip bzip2 xz zstd lz4; do
		command -v "$pkg" >/dev/null || die "$pkg is still missing after apt-get install"
	done
	done_ "${missing[*]}"
}

# ---- barman-cli-cloud (Debian) ---------------------------------------------
# The cross-tests back up and restore with upstream's own tools. barman-cli-cloud depends on
# python3-barman only; the cloud SDKs are "Recommends", hence installed by name: boto3 for S3,
# python3-azure for Azure Blob Storage (about 540 MB, most of it SDKs for other services).
# Debian's interpreter, the one barman's scripts run under (a pyenv or venv python3 earlier on the PATH
# does not see Debian's modules).
BARMAN_PYTHON=/usr/bin/python3
install_barman() {
	local missing=() m
	command -v barman-cloud-backup >/dev/null || missing+=(barman-cli-cloud)
	for m in boto3:python3-boto3 azure.storage.blob:python3-azure; do
		"$BARMAN_PYTHON" -c "import ${m%%:*}" 2>/dev/null || missing+=("${m#*:}")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		log "barman-cli-cloud is installed ($(firstline barman-cloud-backup --version), boto3, azure)"
		return
	fi
	begin barman "${missing[*]}"
	apt_install "${missing[@]}"
	command -v barman-cloud-backup >/dev/null || die "barman-cloud-backup is still missing after apt-get install"
	for m in boto3 azure.storage.blob; do
		"$BARMAN_PYTHON" -c "import $m" 2>/dev/null || die "$BARMAN_PYTHON cannot import $m after apt-get install"
	done
	done_ "$(firstline barman-cloud-backup --version)"
}

# ---- main ------------------------------------------------------------------
mkdir -p "$BIN/k8s"

ALL=(kube-apiserver kubectl etcd controller-gen helm minio fake-gcs-server prometheus-operator-crds azurite postgresql codec-tools barman)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(all)
todo=()
for t in "${targets[@]}"; do
	case $t in
	controlplane) todo+=(kube-apiserver kubectl etcd) ;;
	test-services) todo+=(minio fake-gcs-server azurite postgresql codec-tools barman) ;;
	all) todo+=("${ALL[@]}") ;;
	kube-apiserver | kubectl | etcd | controller-gen | helm | prometheus-operator-crds | minio | fake-gcs-server | azurite | postgresql | codec-tools | barman) todo+=("$t") ;;
	-h | --help | help)
		sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown target '$t' (want controlplane|kube-apiserver|kubectl|etcd|prometheus-operator-crds|controller-gen|helm|minio|fake-gcs-server|azurite|postgresql|codec-tools|barman|test-services|all)" ;;
	esac
done
# The installs that wait on the network (npm, apt) run beside the Go builds,
# which wait on the CPU. One plain call per tool (not a && chain, which would
# switch off set -e inside the functions).
net=()
cpu=()
for t in "${todo[@]}"; do
	case $t in
	azurite | postgresql | codec-tools | barman | prometheus-operator-crds) net+=("$t") ;;
	*) cpu+=("$t") ;;
	esac
done
netpid=""
if [[ ${#net[@]} -gt 0 ]]; then
	(
		for t in "${net[@]}"; do
			"install_${t//-/_}"
		done
	) &
	netpid=$!
fi
for t in "${cpu[@]}"; do
	"install_${t//-/_}"
done
if [[ -n $netpid ]] && ! wait "$netpid"; then
	die "installing ${net[*]} failed (see above)"
fi
