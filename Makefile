# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of them.
PYTHON ?= python3
VENV   := .venv
SERVER_VENV := .venv-server
BIN    := $(VENV)/bin
PY     := $(BIN)/python
MANAGE := $(PY) manage.py
PORT   ?= 8000
export PORT

# Debian packages: Pango and fonts for WeasyPrint's PDFs (Times-compatible Liberation Serif for
# party documents; HarfBuzz's subsetter makes the review PDF about a quarter faster), Cairo for
# the web app's icons (drawn from our SVG),
# poppler-utils for the tests that read those PDFs back, chromium for the browser journeys
# (Playwright drives Debian's build: its own download is not reachable).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 fonts-dejavu-core \
	fonts-liberation2 poppler-utils chromium
# `make bench` only: wrk, the HTTP load generator of the page benchmarks.
BENCH_PACKAGES := wrk

.PHONY: run test bench setup install static messages migrate lint format clean system-packages

## make run: set everything up, load demo data into an empty database, serve with a worker and beat
run: export DEBUG ?= 1
run: setup
	-@$(MAKE) --no-print-directory system-packages
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo --if-empty
	@echo
	@echo "  Bình Yên is starting at http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

## make test: install what the tests need and run the whole suite
test: setup system-packages
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: build (once) the synthetic province on PostgreSQL and run every benchmark on it
bench: setup $(SERVER_VENV)/.installed
	@$(MAKE) --no-print-directory system-packages DEBIAN_PACKAGES="$(DEBIAN_PACKAGES) $(BENCH_PACKAGES)"
	BENCH_SERVER_BIN=$(CURDIR)/$(SERVER_VENV)/bin $(PY) bench/province.py $(BENCH_ARGS)

# The bench's servers (gunicorn, the Celery worker) run with the runtime packages only, as the
# image installs them: the development tools (pytest's pygments, …) would load into each worker.
$(SERVER_VENV)/.installed: requirements.txt
	test -x $(SERVER_VENV)/bin/python || $(PYTHON) -m venv $(SERVER_VENV)
	$(SERVER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SERVER_VENV)/bin/python -m pip install --quiet -r requirements.txt
	touch $@

system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "Install these Debian packages (PDFs need them): sudo apt-get install $$missing"; exit 1; fi; \
	fi

setup: install node_modules/.installed messages static

install: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# .po → .mo with polib, so no system gettext is needed. Both steps below redo only what changed,
# so that a second `make test` (CI runs two suites side by side) rewrites nothing in use.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
messages: $(MO_FILES)
locale/%.mo: locale/%.po | $(VENV)/.installed
	$(PY) -c "import sys, polib; polib.pofile(sys.argv[1]).save_as_mofile(sys.argv[2])" $< $@

# collectstatic needs no real secret: it only copies and hashes files.
STATIC_SOURCES := $(shell find static -type f) binhyen/settings.py
static: staticfiles/staticfiles.json
staticfiles/staticfiles.json: $(STATIC_SOURCES) node_modules/.installed $(VENV)/.installed
	SECRET_KEY=$${SECRET_KEY:-collectstatic-only} $(MANAGE) collectstatic --no-input --verbosity 0
	touch $@

migrate: install
	$(MANAGE) migrate --no-input

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules staticfiles var db.sqlite3 db.sqlite3-* locale/*/LC_MESSAGES/*.mo
