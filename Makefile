# One entry per habit. `make ci` is what CI runs (README's test command): set up, lint, test.
PY := .venv/bin/python
SOURCES := src tests scripts
NATIVE := $(wildcard native_env/src/*.cpp native_env/src/*/*.cpp native_env/src/*/*.hpp native_env/include/mettagrid/*.hpp native_env/include/mettagrid/*/*.hpp)

.PHONY: setup lint format test test-all suite bench results docs ci

setup:
	bash scripts/setup.sh --dev

lint:
	.venv/bin/ruff check $(SOURCES)
	.venv/bin/lint-imports
	.venv/bin/ruff format --check $(SOURCES)
	.venv/bin/clang-format --dry-run --Werror $(NATIVE)

format:
	.venv/bin/ruff check --fix $(SOURCES)
	.venv/bin/ruff format $(SOURCES)
	.venv/bin/clang-format -i $(NATIVE)

# The fast tier: every test not marked slow (no learning checks, DDP, browsers or long runs of
# the CLI). Two workers (one per core of the 2-core CI machine); a worker that runs out of
# tests takes half of the other's (worksteal: with whole files per worker, the minutes-long
# files left one core idle for 7 of 29 minutes); what measures the machine's load runs alone after.
test:
	$(PY) -m pytest -n 2 --dist worksteal -m "not slow and not serial"
	$(PY) -m pytest -m serial

# Every test, slow ones included (the CI suite too: tests/recipes/test_ci_suite.py): what CI runs.
test-all:
	$(PY) -m pytest -n 2 --dist worksteal -m "(slow or not slow) and not serial" --durations=30
	$(PY) -m pytest -m serial

# The recipes' CI suite: train, evaluate ':latest', replay, play (smoke runs with timeouts).
suite:
	cd "$$(mktemp -d)" && $(CURDIR)/.venv/bin/metta-lit run ci

# The documentation site (mkdocs-material) into site/; --strict fails on a broken link.
docs:
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict

# Measurements (3 runs each) into bench_results/, then the docs' tables rendered from them.
bench:
	$(PY) scripts/bench_env.py --json bench_results/env.json
	$(PY) scripts/bench_train.py --json bench_results/train.json
	$(PY) scripts/results.py

results:
	$(PY) scripts/results.py

ci: setup lint test-all
