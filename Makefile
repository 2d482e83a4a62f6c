# Hài Lòng: the two commands of the README.
#   make run   start the central service on SQLite with a demo province
#   make test  run the whole test suite (SQLite and PostgreSQL)
#   make test-at WHEN="2027-01-01 02:00 +07:00"  the same suite with the clock moved to WHEN

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Three worker processes (many tests wait on a browser, a container or a timeout: two leave a core
# idle), each taking whole test modules (their module fixtures made once), in the
# order of the collection: the modules marked `long` first (tests/conftest.py).
PYTEST := $(PY) -m pytest -q -n 3 --dist loadscope --no-loadscope-reorder
# PostgreSQL tests use this database and skip if it cannot be reached (CI=true makes that a failure).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL
# The fleet benchmark reaches PostgreSQL as deploy/install-admin.sh makes the service do: through its Unix socket.
FLEET_DATABASE_URL ?= postgresql+psycopg://postgres@/test?host=/run/postgresql

.PHONY: run test test-at bench translations chromium shellcheck office-tools booted-tree nginx clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(PY)
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(PY)
	$(PIP) install -q -r requirements-test.txt
	touch $@ $(VENV)/.installed-run

translations: $(VENV)/.installed-run
	$(VENV)/bin/pybabel compile --statistics -d admin/translations

# Browser tests drive Debian's Chromium; Playwright cannot download its own here.
chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The deploy tests lint every script under deploy/ with shellcheck.
shellcheck:
	@command -v shellcheck >/dev/null || { \
	  echo "Installing Debian's shellcheck for the deploy tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }

# The official report's tests open its XLSX with LibreOffice and read its PDFs with poppler.
office-tools:
	@command -v soffice >/dev/null && command -v pdftotext >/dev/null || { \
	  echo "Installing Debian's LibreOffice Calc (no GUI) and poppler-utils for the official report's tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui poppler-utils >/dev/null; }

# The booted-system tests (tests/deploy/test_booted_*.py) boot Debian trees with systemd-nspawn:
# made once and cached outside the checkout (/var/cache/hailong-test), see deploy/README.md.
# Without root this says why and the tests skip; under CI=true that fails.
booted-tree:
	@bash tests/deploy/booted/prepare.sh

run: $(VENV)/.installed-run translations
	VENV=$(VENV) bash deploy/run-demo.sh

test: $(VENV)/.installed-test translations chromium shellcheck office-tools booted-tree
	$(PYTEST)

# No test may depend on the date or the hour: every Python process of the run reads a
# clock moved to WHEN, which `date -d` understands (tests/moved_clock/sitecustomize.py).
test-at: $(VENV)/.installed-test translations chromium shellcheck office-tools booted-tree
	@test -n "$(WHEN)" || { echo 'make test-at WHEN="2027-01-01 02:00 +07:00"'; exit 2; }
	HAILONG_CLOCK_OFFSET_S=$$(( $$(date -d "$(WHEN)" +%s) - $$(date +%s) )) PYTHONPATH=tests/moved_clock \
	  $(PYTEST) -W ignore::pytest.PytestAssertRewriteWarning

# The fleet benchmark puts several instances behind a throwaway nginx of its own.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing Debian's nginx for the fleet benchmark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

bench: $(VENV)/.installed-test chromium nginx
	$(PY) bench/ingest.py
	$(PY) bench/fleet.py --database-url '$(FLEET_DATABASE_URL)'
	$(PY) bench/console_session.py
	$(PY) bench/photo_memory.py
	$(PY) bench/report.py --ratings 1000000
	$(PY) bench/official_reports.py --ratings 1000000
	$(PY) bench/public_board.py
	$(PY) bench/kiosk_drain.py
	$(PY) bench/kiosk_rss.py
	$(PY) bench/kiosk_tap.py
	$(PY) bench/kiosk_outbox_check.py
	$(PY) bench/alert_latency.py

clean:
	rm -rf $(VENV) var .pytest_cache
