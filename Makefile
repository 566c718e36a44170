# perfplan — two commands: `make run` and `make test`; `make serve` for the production stack.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run serve test test-deps setup assets migrate seed lint browser bench backup restore clean

run: setup assets migrate seed ## install everything, migrate, load the demo when empty, serve on 127.0.0.1:8000 with the job worker
	@# The job worker (PDFs, imports, reminders) in the background, stopped when runserver stops (Ctrl-C).
	@# It does not reload itself: after changing the code of a job, stop and start `make run` again.
	@$(PY) manage.py db_worker --no-reload --no-startup-delay & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(PY) manage.py runserver $(HOST)

serve: setup assets ## production stack: PostgreSQL (DATABASE_URL), DEBUG off, migrate, collectstatic, gunicorn on 127.0.0.1:8000 and the job worker
	deploy/serve.sh

test: setup test-deps assets browser ## lint, format check, migrations check, the whole pytest suite (browser tests included)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# What the tests need beyond requirements.txt (moto's S3 server): requirements-test.txt, installed by `make test`.
test-deps: $(VENV)/.test-installed

$(VENV)/.test-installed: requirements-test.txt requirements.txt | $(VENV)/.installed
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

assets: static/vendor/.installed

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor/bootstrap-italia static/vendor/htmx static/vendor/chartjs static/vendor/quill
	cp -r node_modules/bootstrap-italia/dist/css node_modules/bootstrap-italia/dist/js \
	      node_modules/bootstrap-italia/dist/svg node_modules/bootstrap-italia/dist/fonts static/vendor/bootstrap-italia/
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/chartjs/
	cp node_modules/quill/dist/quill.js node_modules/quill/dist/quill.js.map node_modules/quill/dist/quill.js.LICENSE.txt node_modules/quill/dist/quill.snow.css node_modules/quill/dist/quill.snow.css.map \
	   node_modules/quill/LICENSE static/vendor/quill/
	touch $@

migrate: setup
	$(PY) manage.py migrate --noinput

seed: setup
	$(PY) manage.py seed_demo --if-empty

browser: ## Debian's Chromium for the browser tests and poppler's pdftoppm for the PDF pages as PNG (installed when missing and we are root)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null)); } || \
	  { echo "Chromium non trovato: installare il pacchetto Debian 'chromium' (apt-get install -y chromium)"; exit 1; }
	@command -v pdftoppm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && (apt-get install -y poppler-utils >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y poppler-utils >/dev/null)); } || \
	  { echo "pdftoppm non trovato: installare il pacchetto Debian 'poppler-utils' (apt-get install -y poppler-utils)"; exit 1; }

backup: setup ## database + media/ in one archive: backups/perfplan-AAAAMMGG-HHMMSS.zip
	$(PY) manage.py backup

restore: setup ## make restore FILE=backups/perfplan-….zip (into an empty database, migrated first)
	@test -n "$(FILE)" || { echo "Indicare l'archivio: make restore FILE=backups/perfplan-….zip"; exit 1; }
	$(PY) manage.py restore "$(FILE)"

bench: setup $(VENV)/.bench-installed ## benchmarks (not run by CI); each prints one JSON line; the load test needs PostgreSQL
	$(PY) benchmarks/run_all.py

# locust, for the load test (benchmarks/bench_load.py) only: `make setup`/`make test` (and CI) do without it.
$(VENV)/.bench-installed: requirements-bench.txt requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles db.sqlite3
