#!/usr/bin/env bash
# `make serve`: the production stack on this machine — PostgreSQL, DEBUG off, migrate, collectstatic, gunicorn and
# the background job worker.
# Every variable of the README can be given, e.g. `make serve DATABASE_URL=postgres://… PERFPLAN_HTTPS=true`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

export DEBUG=false
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/perfplan}"
# Served on 127.0.0.1 over plain HTTP unless told otherwise; behind an HTTPS proxy: PERFPLAN_HTTPS=true PROXY_COUNT=1.
export PERFPLAN_HTTPS="${PERFPLAN_HTTPS:-false}"
export GUNICORN_BIND="${GUNICORN_BIND:-127.0.0.1:8000}"
export LOG_FORMAT="${LOG_FORMAT:-text}"

# A SECRET_KEY of its own, made once and kept in .serve-secret-key (git-ignored, readable by this user only):
# sessions survive a restart. Production passes SECRET_KEY in its environment file instead (README, «Produzione»).
if [ -z "${SECRET_KEY:-}" ]; then
  if [ ! -s .serve-secret-key ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(50))' > .serve-secret-key)
  fi
  SECRET_KEY="$(cat .serve-secret-key)"
  export SECRET_KEY
fi

"$PY" manage.py ensure_database   # the PostgreSQL database of DATABASE_URL, when it does not exist yet
"$PY" manage.py migrate --noinput
if [ "${DEMO:-}" = 1 ]; then "$PY" manage.py seed_demo --if-empty; fi   # demo users: never on a real database
"$PY" manage.py collectstatic --noinput -v 0
"$PY" manage.py check --deploy    # says what is still missing for production (plain HTTP: perfplan.W001)
# The job worker beside gunicorn (in production its own unit, deploy/perfplan-worker.service): stopped with it.
"$PY" manage.py db_worker --no-reload --no-startup-delay &
worker=$!
trap 'kill -TERM "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
.venv/bin/gunicorn -c deploy/gunicorn.conf.py
