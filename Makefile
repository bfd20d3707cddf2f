# Two commands do everything on a fresh machine:
#   make demo   - install, import the bundled Devon and Cornwall ledger, show the structure on a date
#   make test   - install, ruff and mypy, the whole test suite on SQLite, then on PostgreSQL the tests
#                 marked `postgres` (PostgreSQL's own behaviour and a slice of the rest; see tests/conftest.py)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ON ?= 2019-04-01
DB ?= ledger.db
# Test processes: one a core (pytest-xdist); each test file runs in one of them, so a module's
# shared store is imported once.
WORKERS ?= auto
PYTEST := $(BIN)/pytest -q -n $(WORKERS) --dist loadfile

.PHONY: demo test test-sqlite test-postgresql reference projections clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ledger --db $(DB) import events/
	$(BIN)/ledger --db $(DB) structure --on $(ON)

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	LEDGER_TEST_DB=sqlite $(PYTEST)
	LEDGER_TEST_DB=postgresql $(PYTEST) -m postgres

test-sqlite: $(STAMP)
	LEDGER_TEST_DB=sqlite $(PYTEST)

test-postgresql: $(STAMP)
	LEDGER_TEST_DB=postgresql $(PYTEST) -m postgres

reference: $(STAMP)
	$(BIN)/python -m ledger.cli.reference --write README.md

projections: $(STAMP)
	rm -f .projections.db*
	$(BIN)/ledger --db .projections.db import events/ > /dev/null
	$(BIN)/ledger --db .projections.db project --out projections/
	rm -f .projections.db*

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm
