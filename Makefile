# Two commands for a new user:  `make run`  and  `make test`  (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
UV := python3 -m uv
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test install demo-reset demo-otp lint check-migrations pytest system-deps pdf-deps browser-deps messages vendor benchmark stop-db clean

help:
	@echo "make run    install, database, migrations, demo data, server on http://$(HOST):$(PORT)"
	@echo "make test   lint, missing-migration check and the whole test suite on PostgreSQL"

# --- environment ------------------------------------------------------------------------------
$(VENV)/.synced: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

install: $(VENV)/.synced

# DATABASE_URL wins; otherwise the embedded PostgreSQL from the pip wheel (data in var/pgdata).
define with_db
	export DATABASE_URL="$${DATABASE_URL:-$$($(PY) -m rcvs.devdb)}"; \
	test -n "$$DATABASE_URL" || { echo "Could not start the embedded PostgreSQL"; exit 1; };
endef

# --- run --------------------------------------------------------------------------------------
run: install pdf-deps
	@$(with_db) export DEBUG=$${DEBUG:-1}; \
	$(PY) manage.py migrate --no-input -v 0 && \
	$(PY) manage.py seed_demo --keep-existing && \
	echo "" && echo "Geplande taken van vandaag, zoals Celery beat ze start (de bezettingsmail niet: make run heeft geen mailserver):" && \
	LOG_LEVEL=WARNING $(PY) manage.py run_scheduled_jobs --skip occupancy-mail && \
	echo "" && echo "  RCVS draait op http://$(HOST):$(PORT)/   (stoppen: Ctrl+C)" && \
	echo "  Demo-coördinator: log in als coordinator met wachtwoord rcvs-demo-2026. De code die daarna" && \
	echo "  gevraagd wordt (tweede factor) toont een tweede terminal met: make demo-otp   (mental coach: make demo-otp WHO=mentalcoach)" && echo "" && \
	exec $(PY) manage.py runserver $(HOST):$(PORT) --skip-checks

# The current second-factor code of a demo user (DEBUG only; only demo devices of seed_demo).
WHO ?= coordinator
demo-otp: install
	@$(with_db) DEBUG=1 $(PY) manage.py demo_otp $(WHO)

# Put the demo region back as it was generated (undoes changes made while trying things out).
demo-reset: install
	@$(with_db) DEBUG=1 $(PY) manage.py seed_demo

stop-db: install
	@$(PY) -m rcvs.devdb stop

# --- test -------------------------------------------------------------------------------------
# Debian packages a fresh machine may lack: Chromium drives the browser tests (Playwright never
# downloads a browser here); WeasyPrint's PDFs need Pango, HarfBuzz's subsetter and a font.
# Installed with apt when missing (as root); elsewhere the message says what to install.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_PACKAGES := chromium $(PDF_PACKAGES)

define debian_packages
	@command -v dpkg-query >/dev/null 2>&1 || { echo "Not Debian: install $(1) (or their equivalents) yourself"; exit 0; }; \
	missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	missing=$$(echo $$missing); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "Installing Debian packages: $$missing"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| { echo "Could not install $$missing"; exit 1; }; \
		else echo "Missing Debian packages; as root: apt-get install $$missing"; exit 1; fi; \
	fi
endef

system-deps:
	$(call debian_packages,$(TEST_PACKAGES))

pdf-deps:
	$(call debian_packages,$(PDF_PACKAGES))

browser-deps: system-deps  # the old name

lint: install
	@$(VENV)/bin/ruff check .

check-migrations: install
	@$(with_db) DEBUG=1 $(PY) manage.py makemigrations --check --dry-run >/dev/null || \
		{ echo "Model changes without a migration: run manage.py makemigrations"; exit 1; }

# One test process per core (pytest-xdist), each with its own test database (test_rcvs_gw0, ...);
# a test file stays on one worker. PYTEST_WORKERS=0 runs everything in this process.
PYTEST_WORKERS ?= auto
pytest: install system-deps
	@$(with_db) $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint check-migrations pytest

# --- maintenance ------------------------------------------------------------------------------
messages: install
	@DEBUG=1 $(PY) manage.py makemessages -l en --ignore=.venv --ignore=var --no-obsolete && \
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

benchmark: install
	@$(with_db) DEBUG=1 $(PY) scripts/benchmark.py $(BENCH_ARGS)

vendor:
	@cd /tmp && npm pack htmx.org@2.0.8 >/dev/null && tar xzf htmx.org-2.0.8.tgz && \
	cp package/dist/htmx.min.js $(CURDIR)/static/vendor/htmx-2.0.8.min.js

clean:
	rm -rf $(VENV) staticfiles
