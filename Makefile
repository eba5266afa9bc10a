# The README's two commands: `make run` and `make test`. Everything else is a building block.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app cocreate
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-postgres test-e2e test-smoke ci lint mutation bench bench-voting bench-royalties i18n i18n-compile install install-dev services chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed i18n-compile
install-dev: $(VENV)/.installed-dev i18n-compile

## Compiled catalogues are build output (not in git): made from the .po files on every install.
i18n-compile: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d cocreate/translations

## Extract messages from Python and Jinja, update every catalogue, compile.
i18n: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project cocreate --copyright-holder "cocreate contributors" -o cocreate/translations/messages.pot .
	$(BIN)/pybabel -q update -i cocreate/translations/messages.pot -d cocreate/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel -q compile -d cocreate/translations

## Serve the app with demo data on http://127.0.0.1:5000
run: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo seed --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

## The whole suite on SQLite (browser tests apart: make test-e2e)
test: install-dev
	$(BIN)/pytest -q

## The same suite on PostgreSQL (a fresh database per run)
test-postgres: install-dev services
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest -q

## Real-browser tests with Debian's Chromium
test-e2e: install-dev chromium
	$(BIN)/pytest -q -m e2e

## Artwork pipeline against a bare Pillow baseline (figures printed; --json for machines)
bench: install-dev
	$(BIN)/python bench/artwork.py

## Gallery views and votes under load, on SQLite then PostgreSQL (10,000 designs, 1M votes)
bench-voting: install-dev services
	$(BIN)/python bench/voting.py
	$(BIN)/python bench/voting.py --database-url $(PG_URL)

## The deployment smoke test: gunicorn (gunicorn.conf.py, 2 workers) and an RQ worker on a fresh
## PostgreSQL database and a Redis of its own, the journey's HTTP steps, /healthz, /metrics, logs
## and a rate limit shared by two app servers (tests/deploy/smoke.py; about a minute).
test-smoke: install-dev services
	SMOKE_DATABASE_URL=$(PG_URL) $(BIN)/python tests/deploy/smoke.py

## Closing a royalty month and `verify` on 1,000,000 paid order lines (a fresh PostgreSQL
## database; 250,000 lines first for peak memory as data grows), beside bare GROUP BYs
bench-royalties: install-dev services
	$(BIN)/python bench/royalties.py --database-url $(PG_URL) --growth

## ruff, then the import rules of pyproject.toml's [tool.importlinter] (core imports no domain, …)
## ruff, mypy over cocreate/ (settings in pyproject.toml) and the import rules between packages
lint: install-dev
	$(BIN)/ruff check cocreate tests bench migrations/env.py
	$(BIN)/mypy
	$(BIN)/lint-imports

## Mutation testing (mutmut) of the rule-heavy modules, each against its own tests; fails
## under 90 % killed. Slow, so not part of `ci`. Modules are listed in .ci/mutation.py.
mutation: install-dev
	$(BIN)/python .ci/mutation.py

ci: lint test test-postgres test-e2e test-smoke

services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
