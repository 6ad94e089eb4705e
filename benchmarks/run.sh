#!/usr/bin/env bash
# The benchmarks, from the repository root: `bash benchmarks/run.sh [--quick] [--postgres] ...`
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m benchmarks "$@"
