# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres browser lint bench bench-http clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## The translation catalogues are .po files in the repository; the compiled .mo files are made here, never committed.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d app/translations

## make run: set up, migrate the SQLite database, load demo data on first start, serve on :5000
run: $(VENV)/.installed translations
	$(BIN)/alembic upgrade head
	$(FLASK) seed-demo --if-empty
	@echo "Serving Agora on http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: set up, then run the whole suite on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set
test: $(VENV)/.installed translations browser
	$(BIN)/ruff check app tests bench config.py wsgi.py migrations
	env -u TEST_DATABASE_URL CHROMIUM=$(CHROMIUM) $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL leg: $$TEST_DATABASE_URL"; \
		CHROMIUM=$(CHROMIUM) $(BIN)/pytest; \
	else \
		echo "== PostgreSQL leg skipped: TEST_DATABASE_URL is not set"; \
	fi

## The browser tests drive Debian's Chromium; install it when missing (never `playwright install`).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check app tests bench config.py wsgi.py migrations

bench: $(VENV)/.installed
	$(BIN)/python -m bench.pages

## make bench-http: issue 15's comparison (gunicorn + wrk beside a hello-world floor); needs Debian's wrk
bench-http: $(VENV)/.installed translations
	$(BIN)/python -m bench http --markdown

clean:
	rm -rf $(VENV) test-output .pytest_cache
