#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install, quality gates, tests on SQLite, then the
# persistence, end-to-end and BDD suites again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export PYTHONDONTWRITEBYTECODE=1

echo "== services"
bash scripts/services.sh

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== import-linter (the dependency rule)"
PYTHONPATH=build/typecheck .venv/bin/lint-imports --no-cache

echo "== mypy --strict"
MYPYPATH=build/typecheck .venv/bin/mypy -p calendarspots_mailchimp

echo "== pytest on SQLite"
.venv/bin/pytest -q -p no:cacheprovider "$@"

echo "== pytest on PostgreSQL (persistence, end-to-end, BDD)"
CS_MAILCHIMP_TEST_BACKEND=postgresql .venv/bin/pytest -q -p no:cacheprovider \
  tests/integration/persistence tests/e2e tests/bdd "$@"
