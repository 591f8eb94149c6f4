#!/usr/bin/env bash
# The whole suite: lint, types, then every test on SQLite (browser tests included) and the
# database tests again on PostgreSQL (a throwaway cluster the tests start themselves).
# Tests run in parallel, one pytest-xdist worker per core (PYTEST_XDIST_AUTO_NUM_WORKERS=N
# to choose; `-n 0` after the command for one process); each worker starts its own database
# templates, PostgreSQL cluster, redis-server and Chromium. worksteal: browser tests take
# seconds and most others milliseconds, so an idle worker takes tests from a busy one.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Bytecode is kept (__pycache__, ignored by git) even where the machine says not to: without it
# every pytest process rewrote the asserts of ~450 modules (7 s each) and every Python the tests
# start compiled Haven again.
unset PYTHONDONTWRITEBYTECODE
.venv/bin/ruff check .
.venv/bin/mypy
parallel=(-n auto --dist worksteal)
echo "== pytest on SQLite (all tests)"
.venv/bin/pytest -q -p no:cacheprovider "${parallel[@]}" "$@"
echo "== pytest on PostgreSQL (database tests)"
# Which tests run again is said by the tests themselves: `pytestmark = pytest.mark.postgres`.
HAVEN_TEST_DB=postgresql .venv/bin/pytest -q -p no:cacheprovider "${parallel[@]}" \
  -m "postgres and not browser"
