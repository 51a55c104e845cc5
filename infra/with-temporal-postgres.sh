#!/usr/bin/env bash
# Runs a command with the Temporal server built from source (pinned) and PostgreSQL installed,
# their locations in TEMPORAL_SERVER_DIR and POSTGRES_BIN (see infra/temporal-postgres.ts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=infra/tools.sh
source "$root/infra/tools.sh"
export TEMPORAL_SERVER_DIR="${TEMPORAL_SERVER_DIR:-$(ensure_temporal_server)}"
export POSTGRES_BIN="${POSTGRES_BIN:-$(ensure_postgres)}"
exec "$@"
