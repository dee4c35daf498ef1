# The two commands a newcomer needs: `make run` (admin with demo data on SQLite) and
# `make test` (the whole suite). Both build .venv from the pinned requirements first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Production-like mode (`make serve`) on this machine's PostgreSQL and Redis unless the
# environment says otherwise.
SERVE_ENV := PATH=$(CURDIR)/$(VENV)/bin:$$PATH \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/insurance} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-local-serve-only-$$(hostname)-not-for-production} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost} \
	DJANGO_SECURE_SSL_REDIRECT=$${DJANGO_SECURE_SSL_REDIRECT:-false}

.PHONY: install run test test-browser lint serve check-deploy clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=true $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=true $(PY) manage.py seed_demo
	DJANGO_DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m pytest

# the browser tests alone (also part of `make test`); screenshots in artifacts/screenshots/
test-browser: $(STAMP)
	$(PY) -m pytest tests_browser

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

serve: $(STAMP)
	$(SERVE_ENV) sh -c 'createdb -h 127.0.0.1 -U postgres insurance 2>/dev/null; \
		$(PY) manage.py migrate --no-input && \
		$(PY) manage.py seed_demo && \
		$(PY) manage.py collectstatic --no-input -v0 && \
		$(VENV)/bin/honcho start'

check-deploy: $(STAMP)
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
		DJANGO_ALLOWED_HOSTS=insurance.example.edu \
		$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts
