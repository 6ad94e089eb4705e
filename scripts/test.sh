#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install (the browser tests' Chromium too), quality
# gates, tests on SQLite (the browser tests among them), then the persistence, end-to-end and BDD
# suites again on PostgreSQL. Prints its duration and counts.
# Extra arguments go to both pytest runs; CSMC_TEST_WORKERS sets pytest-xdist's processes
# (default 4: most tests wait on loopback HTTP, so two cores keep four busy).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash scripts/bootstrap.sh
export PYTHONDONTWRITEBYTECODE=1
workers=${CSMC_TEST_WORKERS:-4}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== services"
bash scripts/services.sh

echo "== browser (Debian's chromium, for tests/browser)"
bash scripts/browser.sh

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== import-linter (the dependency rule)"
PYTHONPATH=build/typecheck .venv/bin/lint-imports --no-cache

echo "== mypy --strict"
MYPYPATH=build/typecheck .venv/bin/mypy -p calendarspots_mailchimp

echo "== pytest on SQLite"
.venv/bin/pytest -q -p no:cacheprovider -n "$workers" "$@" | tee "$logs/sqlite"

echo "== pytest on PostgreSQL (persistence, end-to-end, BDD)"
CS_MAILCHIMP_TEST_BACKEND=postgresql .venv/bin/pytest -q -p no:cacheprovider -n "$workers" \
  tests/integration/persistence tests/e2e tests/bdd "$@" | tee "$logs/postgresql"

count() { grep -Eo '[0-9]+ passed' "$logs/$1" | tail -n 1 | cut -d' ' -f1; }
sqlite=$(count sqlite) postgresql=$(count postgresql)
elapsed=$((SECONDS - started))
echo "== done in $((elapsed / 60)) min $((elapsed % 60)) s: $sqlite tests passed on SQLite," \
  "$postgresql on PostgreSQL"
echo "$((sqlite + postgresql)) passed, 0 failed"
