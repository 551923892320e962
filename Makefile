# Peering Portal — the two commands a newcomer needs: `make run` and `make test`.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

# The first Python >= 3.12 found (pyenv honours .python-version).
PYTHON_BOOT := $(shell for p in python3.12 python3.13 python3.14 python3 python; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then \
	command -v $$p; break; fi; done)

.PHONY: help venv run test bench bench-queries bench-routes load lint format migrate demo worker check-deploy chromium clean

help:
	@echo "make run    — set up, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   — set up, run the whole test suite on every core (SQLite, or DATABASE_URL)"
	@echo "make load   — 50 users for 60 s on gunicorn + PostgreSQL: p95 and errors"
	@echo "make lint   — ruff check and format check"
	@echo "make bench  — page req/s against a trivial view at 10k rows (needs DATABASE_URL, PostgreSQL)"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON_BOOT)" ]; then \
		echo "Peering Portal needs Python 3.12 or newer (Django 6.1). None was found on PATH:"; \
		echo "install python3.12 (e.g. 'apt-get install python3.12' or 'pyenv install 3.12') and retry."; \
		exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON_BOOT) ($$($(PYTHON_BOOT) --version))"
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

migrate: venv
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput

demo: migrate
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo

# The database task worker sends the emails and runs background work; it stops with the server.
run: demo
	@echo "Serving Peering Portal on http://$(HOST):$(PORT)/ (operators: /admin/). Ctrl-C stops."
	@export DJANGO_DEBUG=1 DJANGO_DEMO_MOTION=$${DJANGO_DEMO_MOTION:-1}; \
	$(PY) manage.py requeue_abandoned_tasks --worker-id portal-worker >/dev/null; \
	$(PY) manage.py db_worker --queue-name default --worker-id portal-worker >var/worker.log 2>&1 & \
	worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# A restarted worker first requeues what its killed predecessor left RUNNING.
worker: venv
	DJANGO_DEBUG=1 $(PY) manage.py requeue_abandoned_tasks --worker-id portal-worker
	DJANGO_DEBUG=1 $(PY) manage.py db_worker --worker-id portal-worker

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "The browser tests need Chromium at $(CHROMIUM): run 'sudo apt-get install chromium'."; exit 1; \
		fi; fi

# One pytest-xdist worker per core; each worker has its own test database (pytest-django
# suffixes the name with the worker id). PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
test: venv chromium
	$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Issue 11's pages at 10k peerings / 40k connections / 10k registered ASNs (and at 100), served
# by gunicorn on PostgreSQL, as req/s ratios against a trivial signed-in view in the same run.
# Needs DATABASE_URL=postgres://…/pp_NAME_bench; BENCH_ROUNDS, BENCH_SECONDS, BENCH_ONLY tune it.
bench: venv
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's wrk for the benchmark"; \
			(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
			 (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)) \
			|| echo "wrk could not be installed: measuring with Python threads"; \
		else echo "wrk not found ('apt-get install wrk'): measuring with Python threads"; fi; fi
	$(PY) tests/benchmarks/bench.py

# The query-count and flatness checks of the pages, in-process (part of `make test` too).
bench-queries: venv
	$(PY) -m pytest -q tests/benchmarks $(PYTEST_ARGS)

# Routing at a real exchange's size on PostgreSQL (issue 9): route and VRP imports, validation
# throughput. BENCH_ROUTES / BENCH_VRPS scale it down (e.g. BENCH_ROUTES=100000).
bench-routes: venv
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pp_routing} \
	$(PY) tests/benchmarks/routes_bench.py

# 50 signed-in users for 60 s against gunicorn on PostgreSQL (127.0.0.1 only): prints p95 and
# the error count, fails on any error. LOAD_DATABASE_URL names the database it may (re)fill.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pp_load
load: venv
	LOAD_DATABASE_URL=$(LOAD_DATABASE_URL) LOAD_USERS=$${LOAD_USERS:-50} \
	LOAD_SECONDS=$${LOAD_SECONDS:-60} timeout 600 $(PY) tests/load/run.py

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# With production variables (see README) this must print no warning.
check-deploy: venv
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var/*.sqlite3* var/staticfiles
