# The verbs a newcomer types. `make demo` and `make test` each do all the set-up they need.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test files run on every core, one file per worker at a time (module-scoped databases stay shared),
# in the order collected: tests/conftest.py puts the files that take minutes first.
# `make test PYTEST_XDIST=` runs them in one process.
PYTEST_XDIST ?= -n auto --dist loadfile --no-loadscope-reorder

.PHONY: help deps os-deps demo test lint pgtap bench clean

help:
	@echo "make demo   - set up, start the embedded PostgreSQL, deploy, load GHMC wards and sample news, show them"
	@echo "make test   - set up, lint, then every test (pytest + pgTAP) against a throwaway PostgreSQL"
	@echo "make lint   - sqlfluff over db/, ruff over Python, the layer contracts (.importlinter)"
	@echo "make pgtap  - only the pgTAP suites (db/tests) against a fresh database"
	@echo "make bench  - benchmarks with a report (bench-report.md)"
	@echo "make deps   - OS packages (PostgreSQL, pgTAP, pgvector, RUM, sqitch) and the Python venv"

deps: os-deps $(STAMP)

os-deps:
	@scripts/install-deps.sh

# The venv is rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check --config-settings editable_mode=compat -e '.[dev]'
	@touch $(STAMP)

lint: deps
	$(BIN)/ruff check lokdarpan_db tests setup.py
	$(BIN)/lint-imports --no-cache
	$(BIN)/sqlfluff lint --processes 2 --disable-progress-bar db/

test: deps lint
	@set +e; $(BIN)/pytest $(PYTEST_XDIST) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

pgtap: deps
	$(BIN)/pytest tests/db/test_pgtap.py $(PYTEST_ARGS)

demo: deps
	$(BIN)/python -m lokdarpan_db.devtools.demo

bench: deps
	$(BIN)/python -m lokdarpan_db.devtools.bench $(BENCH_ARGS)

clean:
	-$(BIN)/lokdarpan-db cluster stop
	rm -rf .lokdarpan .pytest_cache .ruff_cache
