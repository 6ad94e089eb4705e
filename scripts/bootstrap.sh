#!/usr/bin/env bash
# Creates .venv and installs the project with its dev extras. Idempotent; safe on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.csmc-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  touch "$stamp"
fi
# A link tree so mypy and import-linter see the one import package the folders install as
# (the editable finder maps top-level folders; static tools cannot follow it).
mkdir -p build/typecheck/calendarspots_mailchimp
for layer in core ports adapters entrypoints simulator; do
  ln -sfn "../../../$layer" "build/typecheck/calendarspots_mailchimp/$layer"
done
