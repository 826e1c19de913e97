#!/usr/bin/env bash
# Sets up metta-lit on a fresh machine: a virtualenv in .venv with the CPU build of torch
# (installed first, so nothing pulls a multi-GB CUDA build) and metta-lit itself, whose
# native environment is compiled by scikit-build-core + CMake during the install.
# `--dev` (make setup) adds the test, lint and docs tools and the optional integrations the
# tests exercise; without it, only what training and the commands need.
set -euo pipefail
DEV=0
if [ "${1:-}" = "--dev" ]; then DEV=1; fi
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check "torch==2.13.0"
# uv installs the rest (torch 2.13 stays: every dependency's range admits it). It resolves and
# downloads in parallel where pip goes one package at a time: the dev set with the native build
# took 121 s against pip's 216 s on a 2-core machine (no cache, measured side by side).
# Where uv cannot reach the index (its own TLS settings), pip does the same install, slower.
# Unlike pip, uv writes no bytecode unless asked: where PYTHONDONTWRITEBYTECODE is set (as on
# some CI machines) every process would then compile Lightning, TorchRL and the rest from source
# at each start (12 s against 8 s for one `fit` process's imports, measured on 2 cores).
install() {
  if ! { .venv/bin/pip install --quiet --disable-pip-version-check "uv>=0.9" &&
    .venv/bin/uv pip install --quiet --compile-bytecode --python .venv/bin/python "$@"; }; then
    echo "uv could not install metta-lit; installing with pip instead"
    .venv/bin/pip install --quiet --disable-pip-version-check "$@"
  fi
}
if [ "$DEV" = 1 ]; then
  # The native build's own tools go into .venv first, so metta-lit builds without an isolated
  # build environment: its build folder then stays valid for the next build (the packaging
  # test's wheel, a rebuild after a C++ edit), which recompiles only what changed.
  install "scikit-build-core>=0.10" "pybind11>=3.1"
  install --no-build-isolation -e ".[dev]"
  .venv/bin/python -m compileall -q src/metta_lit >/dev/null  # the editable package's own bytecode
else
  install -e .
  .venv/bin/python -m compileall -q src/metta_lit >/dev/null
  echo "metta-lit is installed in .venv (add the test tools with: bash scripts/setup.sh --dev)"
  exit 0
fi
# tmux lets the tests drive `metta-lit play` in a real terminal, and Debian's chromium is the
# browser the web tests drive through Playwright (which then downloads no browser of its own).
# As root with apt they are installed here; otherwise the command to run is printed. Without
# them those tests skip on a developer's machine and fail under CI.
missing=""
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing with apt-get:$missing (for the terminal and browser tests)"
    (apt-get update -qq && apt-get install -y -qq $missing) >/dev/null 2>&1 || echo "apt-get could not install:$missing"
  else
    echo "the terminal and browser tests need:$missing; install with: sudo apt-get install$missing"
  fi
fi
echo "metta-lit is installed in .venv"
