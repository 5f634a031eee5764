# Data Hub Portal. `make run` starts the portal with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-sqlite lint format bench system-deps clean

install: $(STAMP) system-deps

$(STAMP): requirements.txt
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	@touch $(STAMP)

# Debian packages the tests and the engine need: chromium (browser tests), the PostgreSQL JDBC driver.
system-deps:
	@bash scripts/system-deps.sh

run: install
	$(PY) manage.py run_portal

# The suite runs against this machine's PostgreSQL and Redis (real parts); override with the env.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/datahub
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
TEST_METASTORE_URL ?= jdbc:postgresql://127.0.0.1:5432/hub_metastore_test?user=postgres

# The pages again on the embedded default database (SQLite, what `make run` uses out of the box):
# the smoke suite over every URL, the run pages, and the run list in Chromium.
SQLITE_TESTS ?= tests/smoke tests/runs_app/test_pages.py tests/runs_app/test_pages_actions.py \
	tests/runs_app/test_pages_readable.py tests/runs_app/test_operator_audit.py tests/test_home.py \
	tests/browser/test_run_list.py

# Everything on PostgreSQL, then the page tests on SQLite (only the first with PYTEST_ARGS).
test: install
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)}" \
	HUB_METASTORE_URL="$${HUB_METASTORE_URL:-$(TEST_METASTORE_URL)}" \
	HUB_VAR_DIR="$${HUB_VAR_DIR:-$(CURDIR)/var/test}" \
	$(PY) -m pytest $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,@$(MAKE) --no-print-directory test-sqlite)

test-sqlite: install
	DATABASE_URL="sqlite:///$${HUB_VAR_DIR:-$(CURDIR)/var/test}/portal.sqlite3" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)}" \
	HUB_VAR_DIR="$${HUB_VAR_DIR:-$(CURDIR)/var/test}" \
	$(PY) -m pytest $(SQLITE_TESTS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) -m bench

clean:
	rm -rf var .pytest_cache
