# smartcity5 — the two commands of the README, and a few helpers.
#   make run   create .venv, install, migrate, load the demo towns, serve on http://127.0.0.1:8000
#   make test  the whole suite over the machine's cores (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
#   make lock  recompile requirements.lock / requirements-dev.lock (hash-pinned) from pyproject.toml

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Runtime pins (the Docker image) and runtime + dev pins (make install, CI), each with hashes.
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock

.PHONY: run test install bytecode lock check vendor messages worker beat clean

# Everything from the lock, hash-checked; then the project itself without resolving anything.
$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK)
	@scripts/ensure-python.sh "$(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
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

# The suite runs in TEST_WORKERS processes (pytest-xdist: one more than the cores this process may use, at most 4;
# each has its own test database, Redis database and ports, docs/ARCHITECTURE.md "Tests"). The one more keeps the
# cores busy while a worker waits for a server, a real worker or a timeout of a fault test. Locally the test
# databases are kept between runs and migrated forward (--reuse-db); CI (CI=true) and
# `make test PYTEST_ARGS=--create-db` make them anew.
# One file in this process: make test PYTEST_ARGS="-n 0 tests/test_health.py"; one worker per core: TEST_WORKERS=auto.
TEST_WORKERS ?= $(shell n=$$(nproc); echo $$(( n < 4 ? n + 1 : 4 )))
TEST_DB := $(if $(filter true 1,$(CI)),--create-db,--reuse-db)

test: install bytecode
	@scripts/ensure-system-packages.sh
	$(PY) -m pytest -n $(TEST_WORKERS) --maxprocesses 4 $(TEST_DB) $(PYTEST_ARGS)

# The project's bytecode and pytest's rewritten test modules, written once for every process of the run
# (scripts/compile_tests.py: each xdist worker, subprocess and the production smoke read them instead of compiling
# and rewriting everything again where PYTHONDONTWRITEBYTECODE is set). Up to date in a fraction of a second.
bytecode: install
	@$(PY) scripts/compile_tests.py

# Lint and format check (ruff, rules and reasons in pyproject.toml), the type check (mypy with django-stubs:
# strict on services, selectors and accounts/permissions.py, lenient elsewhere; [tool.mypy] in pyproject.toml,
# its cache in .mypy_cache), Django's checks, no missing migrations.
# `$(VENV)/bin/ruff format .` and `$(VENV)/bin/ruff check --fix .` repair most of what it finds.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Recompile the locks from pyproject.toml with pip-tools in a throwaway virtualenv. Existing pins are kept while
# they still satisfy pyproject.toml; `make lock LOCK_ARGS=--upgrade` moves everything to the newest versions,
# `LOCK_ARGS="--upgrade-package django"` one package. The local pip configuration (mirrors, find-links) is
# ignored so that the hashes are those of the files the default index serves, which the image's pip downloads.
LOCK_VENV := $(or $(TMPDIR),/tmp)/smartcity5-lock-venv
LOCK_ARGS ?=
PIP_COMPILE = env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --all-build-deps --no-emit-index-url --no-emit-find-links \
	$(LOCK_ARGS)

lock:
	@scripts/ensure-python.sh "$(PYTHON)"
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(LOCK_VENV)/bin/pip install --quiet "pip-tools>=7.5,<8"
	$(PIP_COMPILE) -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra dev -c $(LOCK) -o $(DEV_LOCK) pyproject.toml
	rm -rf $(LOCK_VENV)

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
