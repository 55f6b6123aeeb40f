# The portal's developer commands. `make run` and `make test` start from nothing:
# each step leaves a stamp (.stamp-*), so a second run only redoes what changed.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
FLASK  := FLASK_APP=wsgi $(BIN)/flask
HOST   ?= 127.0.0.1
PORT   ?= 5000
# extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k money -x"`
PYTEST_ARGS ?=
# `make test WORKERS=0` runs in one process (easier to debug)
WORKERS ?= 2
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/portal_ci

SYSTEM_PACKAGES := fonts-noto-cjk fonts-dejavu-core poppler-utils chromium
THIRDPARTY := $(wildcard tests/thirdparty/*/setup.cfg tests/thirdparty/*/pyproject.toml tests/thirdparty/*/setup.py)
THIRDPARTY_FILES := $(shell find tests/thirdparty -type f -not -path '*/__pycache__/*' \
                      -not -path '*.egg-info*' -not -path '*/build/*' 2>/dev/null)
HTMX := portal/static/vendor/htmx.min.js
CHARTJS := portal/static/vendor/chart.umd.min.js
XDIST := $(if $(filter 0,$(WORKERS)),,-n $(WORKERS))

.PHONY: help venv install assets translations messages system-deps migrate demo run test-deps test test-pg \
        test-e2e test-all migration clean

help:
	@echo "make run        set everything up, load demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test       install what tests need and run the suite (SQLite; PostgreSQL too"
	@echo "                when PORTAL_TEST_DATABASE_URL is set)"
	@echo "make test-pg    the suite against PostgreSQL ($(PG_URL), recreated)"
	@echo "make test-e2e   browser tests (Playwright driving /usr/bin/chromium)"
	@echo "make migration  regenerate the initial migration from the models"

# -- set-up -----------------------------------------------------------------------

venv: .stamp-venv
.stamp-venv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# setuptools and wheel in the venv: the editable install builds without isolation
	$(PIP) install --quiet --upgrade pip 'setuptools>=68' wheel
	touch $@

install: .stamp-install
.stamp-install: .stamp-venv setup.cfg pyproject.toml
	$(PIP) install --quiet --no-build-isolation -e '.[test]'
	touch $@

# A third-party plugin installed like any other pip package: proves discovery by
# entry point. Installed (not editable) so it behaves as it would for a user.
.stamp-thirdparty: .stamp-install $(THIRDPARTY_FILES)
	@for dir in $(sort $(dir $(THIRDPARTY))); do \
	  echo "installing $$dir"; \
	  $(PIP) install --quiet --no-deps --no-build-isolation --force-reinstall ./$$dir || exit 1; \
	  rm -rf $$dir/build; \
	done
	touch $@

assets: $(HTMX) $(CHARTJS)
$(HTMX): package.json package-lock.json
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

# the reports' charts (Chart.js, from the same npm install)
$(CHARTJS): $(HTMX)
	cp node_modules/chart.js/dist/chart.umd.min.js $@

translations: .stamp-install
	@if ls translations/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel compile -d translations; \
	else echo "no translations to compile"; fi

# After adding strings: refresh the catalog; new entries come out empty for translating.
messages: .stamp-install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k lazy_gettext --sort-by-file -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --width 100

# Fonts for PDFs (Latin and CJK), pdftotext for PDF tests, Chromium for browser tests.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) portal demo

# The jobs runner lives beside the web server and stops with it.
# The test suite installs a small third-party plugin into the same venv; it is
# a test fixture, not part of the product, so the served portal goes without it.
run: install assets translations system-deps
	@if $(BIN)/python -m pip show -q portal-hello >/dev/null 2>&1; then \
	  $(PIP) uninstall -y -q portal-hello && rm -f .stamp-thirdparty; fi
	$(FLASK) db upgrade
	@$(FLASK) portal demo
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops the server and the jobs runner)"
	@$(FLASK) portal jobs serve & jobs=$$!; \
	trap 'kill $$jobs 2>/dev/null; wait $$jobs 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# -- tests --------------------------------------------------------------------------

test-deps: install .stamp-thirdparty assets translations system-deps

test: test-deps
	$(BIN)/python -m pytest $(XDIST) -m "not e2e" -p no:cacheprovider $(PYTEST_ARGS)

# A fresh database each time, so a half-finished earlier run cannot leak into this one.
test-pg: test-deps
	$(BIN)/python tests/pg/reset_database.py "$(PG_URL)"
	PORTAL_TEST_DATABASE_URL="$(PG_URL)" $(BIN)/python -m pytest $(XDIST) -m "not e2e" -p no:cacheprovider $(PYTEST_ARGS)

test-e2e: test-deps
	$(BIN)/python -m pytest -m e2e tests/e2e -p no:cacheprovider $(PYTEST_ARGS)

test-all: test test-pg test-e2e

# Rewrite migrations/versions/0001_initial.py from the current models (see migrations/README).
migration: install
	$(BIN)/python migrations/regenerate.py

clean:
	rm -f .stamp-*
	rm -rf test-artifacts .pytest_cache
