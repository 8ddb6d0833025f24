#!/usr/bin/env bash
# Install what the test suite needs beyond the core package: the dev, explorer and bench extras into
# .venv, and Debian's chromium for the explorer's browser test (Playwright drives
# /usr/bin/chromium; it cannot download a browser of its own here). Idempotent: apt-get runs
# only when chromium is missing. Run from the repository root, as root (CI is).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends chromium
fi
"$PY" -m pip install -q -e '.[dev,explorer,bench]'
