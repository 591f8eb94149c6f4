#!/usr/bin/env bash
# Install what Haven needs on a fresh Debian machine: system packages, a virtualenv,
# Python dependencies, and compiled translations. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v msgfmt >/dev/null || need_apt+=(gettext)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q libzbar.so.0 || need_apt+=(libzbar0)
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v caddy >/dev/null || need_apt+=(caddy)
command -v systemd-analyze >/dev/null || need_apt+=(systemd)
[ -d /usr/share/fonts/truetype/noto ] || need_apt+=(fonts-noto-core)
[ -d /usr/share/fonts/opentype/noto ] || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing system packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
FLASK_APP=app.py .venv/bin/flask translate compile >/dev/null
