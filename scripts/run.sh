#!/usr/bin/env bash
# Run Haven on http://127.0.0.1:${PORT:-5000}/ with an embedded SQLite database under
# instance/, seeded from services_data/ on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python app.py
