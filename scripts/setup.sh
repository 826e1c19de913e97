#!/usr/bin/env bash
# Sets up metta-lit on a fresh machine: a virtualenv in .venv with the CPU build of torch
# (installed first, so nothing pulls a multi-GB CUDA build) and metta-lit itself, whose
# native environment is compiled by scikit-build-core + CMake during the install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check "torch==2.13.0"
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"
# tmux lets the tests drive `metta-lit play` in a real terminal; best effort (root + apt only).
if ! command -v tmux >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq tmux) >/dev/null 2>&1 || echo "tmux not installed; its test will be skipped"
fi
echo "metta-lit is installed in .venv"
