# Data Hub Portal. `make run` starts the portal with demo data; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-sqlite lint format bench system-deps static-build clean

install: $(STAMP) system-deps static-build

$(STAMP): requirements.txt
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	@touch $(STAMP)

# The XML editor (CodeMirror 6, frontend/) bundled by esbuild into static/build/. The bundle is
# committed, so `make run` and the Docker image need no Node; with npm on the machine it is rebuilt
# whenever the lock file, package.json or a source file is newer than it.
BUNDLE := static/build/xml_editor.js
FRONTEND := package.json package-lock.json $(wildcard frontend/*.js frontend/*.mjs)

static-build: $(BUNDLE)

$(BUNDLE): $(FRONTEND)
	@if command -v npm >/dev/null 2>&1; then \
		(npm ci --no-audit --no-fund --loglevel=error && npm run --silent build) \
		|| { [ -f $@ ] && echo "WARNING: could not rebuild $@; the committed one is used" >&2; }; \
	elif [ -f $@ ]; then \
		echo "npm is missing: using the committed $@ (install Node 20 to rebuild it)"; \
	else \
		echo "npm is missing and $@ is not built: install Node 20 and npm" >&2; exit 1; \
	fi

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
	tests/runs_app/test_sla_compliance.py tests/browser/test_run_list.py tests/browser/test_sla.py \
	tests/pipelines_app/test_storage_browse.py tests/pipelines_app/test_column_picker.py \
	tests/pipelines_app/test_pages_wizard.py tests/pipelines_app/test_pages_changes.py

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
