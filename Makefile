# One entry per habit. `make ci` is what CI runs (README's test command): set up, lint, test.
PY := .venv/bin/python
SOURCES := src tests scripts
NATIVE := $(wildcard native_env/src/*.cpp native_env/src/*/*.cpp native_env/src/*/*.hpp native_env/include/mettagrid/*.hpp native_env/include/mettagrid/*/*.hpp)

.PHONY: setup lint format test suite bench ci

setup:
	bash scripts/setup.sh

lint:
	.venv/bin/ruff check $(SOURCES)
	.venv/bin/lint-imports
	.venv/bin/ruff format --check $(SOURCES)
	.venv/bin/clang-format --dry-run --Werror $(NATIVE)

format:
	.venv/bin/ruff check --fix $(SOURCES)
	.venv/bin/ruff format $(SOURCES)
	.venv/bin/clang-format -i $(NATIVE)

test:
	$(PY) -m pytest -m "slow or not slow" --durations=30

# The recipes' CI suite: train, evaluate ':latest', replay, play (smoke runs with timeouts).
suite:
	cd "$$(mktemp -d)" && $(CURDIR)/.venv/bin/metta-lit run ci

bench:
	$(PY) scripts/bench_env.py --json bench_results/env.json
	$(PY) scripts/bench_train.py --json bench_results/train.json

ci: setup lint test suite
