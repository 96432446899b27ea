# srsite: `make run` serves the embedded service at http://127.0.0.1:8000; `make test` runs
# the whole suite (unit tests on SQLite, then integration tests on PostgreSQL + Redis + Celery).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

# Integration tests: this machine's PostgreSQL (trust auth) and a Redis DB of their own.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/srsite
TEST_REDIS_URL ?= redis://127.0.0.1:6379/13

.PHONY: run test test-unit test-integration lint migrate worker loadtest install install-dev chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamp files make the install step a no-op until a requirements file changes.
$(VENV)/.requirements.stamp: requirements.txt | $(PY)
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.requirements-dev.stamp: requirements-dev.txt $(VENV)/.requirements.stamp
	$(PIP) install -r requirements-dev.txt
	touch $@

install: $(VENV)/.requirements.stamp
install-dev: $(VENV)/.requirements-dev.stamp

# The browser tests drive Debian's chromium (never a browser Playwright downloads): install it
# when missing (CI runs as root on a fresh Debian machine).
chromium:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

migrate: install
	$(PY) manage.py migrate --noinput

# Embedded mode: no environment needed; jobs run inside this one process.
run: migrate
	@echo "srsite: serving http://$(HOST):$(PORT)/"
	$(VENV)/bin/uvicorn srsite.asgi:application --host $(HOST) --port $(PORT) --lifespan on

test: test-unit test-integration

test-unit: install-dev chromium
	env -u DATABASE_URL -u REDIS_URL -u DJANGO_SETTINGS_MODULE \
	  $(PY) -m pytest -m "not integration"

test-integration: install-dev
	env -u DJANGO_SETTINGS_MODULE DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  UPSCALER_REDIS_PREFIX=srsite-test \
	  $(PY) -m pytest -m integration

# ruff, then the import contracts of pyproject.toml (the layers of README "Architecture").
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Production-style worker (needs REDIS_URL, DATABASE_URL, DJANGO_SETTINGS_MODULE).
worker: install
	$(VENV)/bin/celery -A srsite worker -Q inference,default --concurrency 1 --loglevel INFO

# Bounded load test (a benchmark, not a test): gunicorn + a Celery worker on this machine's
# PostgreSQL (database srsite_loadtest) and Redis DB 12; N uploads, M websocket watchers.
LOADTEST_UPLOADS ?= 40
LOADTEST_WATCHERS ?= 10
loadtest: install-dev
	$(PY) scripts/loadtest.py --uploads $(LOADTEST_UPLOADS) --watchers $(LOADTEST_WATCHERS)

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
