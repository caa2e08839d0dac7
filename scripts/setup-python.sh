#!/usr/bin/env bash
# Creates ./.venv with the pinned official MLMD client (python/requirements.txt).
# Idempotent: does nothing when the venv already has the pinned versions.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum python/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r python/requirements.txt
  echo "$want" > "$stamp"
fi
.venv/bin/python -c 'import ml_metadata, sys; print("ml-metadata", ml_metadata.__version__, "on python", sys.version.split()[0])'
