#!/usr/bin/env bash
# Runs a command with Node >= 22 first on PATH and the project's node_modules installed.
# Usage: bash infra/with-node.sh <command> [args...]
# The system Node may be 20, which @kubernetes/client-node 2.x cannot run on, so we
# install Node 24 from the npm registry into the tools cache when needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=infra/tools.sh
source "$root/infra/tools.sh"
node_bin="$(ensure_node)"
export PATH="$(dirname "$node_bin"):$root/node_modules/.bin:$PATH"

# Install dependencies when node_modules is missing or older than the lockfile.
stamp="$root/node_modules/.slipway-lock-stamp"
lock_sum="$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)"
needs_install() { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; }
if needs_install; then
  # Two commands started at once must not run npm ci over each other; the second waits, then finds it done.
  exec 9>"$SLIPWAY_TOOLS/npm-ci-$(echo "$root" | sha256sum | cut -c1-16).lock"
  flock 9
  if needs_install; then
    log "installing npm dependencies (npm ci)"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$lock_sum" > "$stamp"
  fi
  flock -u 9
fi

export TEMPORAL_CLI="${TEMPORAL_CLI:-$(ensure_temporal)}"
# The cloud emulators the provider contract suite runs against (installed once, then cached).
export MOTO_SERVER="${MOTO_SERVER:-$(ensure_moto)}"
export SUSHY_EMULATOR="${SUSHY_EMULATOR:-$(ensure_sushy)}"
export VCSIM="${VCSIM:-$(ensure_vcsim)}"
# Temporal's time-skipping test server, for the fast workflow tests of timers and back-off.
export TEMPORAL_TEST_SERVER="${TEMPORAL_TEST_SERVER:-$(ensure_temporal_test_server)}"
export SCHEMATHESIS="${SCHEMATHESIS:-$(ensure_schemathesis)}"
# A real management cluster's API for the CR mode tests (built from source once, then cached).
export ETCD_BIN="${ETCD_BIN:-$(ensure_etcd)}"
export KUBE_APISERVER_BIN="${KUBE_APISERVER_BIN:-$(ensure_kube_apiserver)}"
exec "$@"
