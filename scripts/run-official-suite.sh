#!/usr/bin/env bash
# Runs the official ml-metadata package's own test module (from site-packages, never copied)
# against our server in gRPC mode, once per backend (sqlite, mariadb, postgres), each on a
# fresh database, and prints "<backend>: N passed, M failed" plus the failing tests.
# It reports; it does not gate (exit 0 unless the harness itself breaks).
#
#   scripts/run-official-suite.sh [--backends sqlite,postgres] [--out DIR] [-- <pytest args>]
#
# MLMD_SERVER_CMD overrides how our server is started (default: node --import tsx src/main.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh >/dev/null
# Throwaway MariaDB + PostgreSQL for the duration of the run (see test/support/db_servers.ts).
exec npx --no-install tsx test/support/with_db_servers.ts -- \
  .venv/bin/python test/python/run_official_suite.py "$@"
