#!/usr/bin/env bash
# Installs what bench/api.py needs beyond the project's venv:
#   wrk     - the load generator (Debian package, C, epoll)          [required]
#   py-spy  - sampling profiler for --profile (PyPI, into .venv)       [optional: --with-profiler]
# Usage: bash bench/setup.sh [--with-profiler]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq wrk
fi
wrk --version 2>&1 | head -1 || true
if [ "${1:-}" = "--with-profiler" ]; then
  .venv/bin/pip install -q py-spy
  .venv/bin/py-spy --version
fi
