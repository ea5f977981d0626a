# smartcity5 — the two commands of the README, and a few helpers.
#   make run   create .venv, install, migrate, load the demo towns, serve on http://127.0.0.1:8000
#   make test  the whole suite (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install check vendor messages worker beat clean

$(STAMP): pyproject.toml
	@scripts/ensure-python.sh "$(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: export DEBUG = true
run: export MFA_TOTP_INSECURE_BYPASS_CODE = 000000
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "Serving on http://127.0.0.1:8000 (stop with Ctrl+C)"
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	@scripts/ensure-system-packages.sh
	$(PY) -m pytest $(PYTEST_ARGS)

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Refresh vendored front-end files from npm (needs node/npm; the copies are committed).
vendor:
	scripts/vendor.sh

# Extract new strings into locale/*/LC_MESSAGES/django.po and compile the catalogues (needs gettext).
messages: install
	$(PY) manage.py makemessages --locale de --locale en --ignore ".venv/*" --ignore "tests/*" --no-obsolete
	$(PY) scripts/compile_messages.py

worker: install
	$(VENV)/bin/celery -A smartcity5 worker --loglevel INFO

beat: install
	$(VENV)/bin/celery -A smartcity5 beat --loglevel INFO

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
