#!/usr/bin/env bash
# The benchmarks, from the repository root: `bash benchmarks/run.sh [--quick] [--postgres] ...`
# `--only fleet-workers [--fleet 200x1000] [--workers 1,2]`: the Celery fan-out on PostgreSQL
# and Redis with real worker processes (benchmarks/fleet_workers.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${1:-}" == "--only" && "${2:-}" == "fleet-workers" ]]; then
    shift 2
    exec .venv/bin/python -m benchmarks.fleet_workers "$@"
fi
exec .venv/bin/python -m benchmarks "$@"
