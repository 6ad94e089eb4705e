#!/usr/bin/env bash
# Installs everything, then runs the whole story on embedded defaults (SQLite + simulator).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/cs-mailchimp demo "$@"
