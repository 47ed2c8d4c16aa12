#!/bin/sh
# Entry point of the image. Runs the command it is given, with two shortcuts:
#
#   migrate [ARGS]      apply migrations and exit (the one-shot `migrate` service)
#   healthcheck [PATH]  GET http://127.0.0.1:8000/PATH (default /healthz);
#                       exit 0 on a 2xx answer, 1 otherwise (Docker HEALTHCHECK)
#
# Anything else (gunicorn, celery, python manage.py ...) runs as given.
set -eu

case "${1:-}" in
    migrate)
        shift
        exec python manage.py migrate --noinput "$@"
        ;;
    healthcheck)
        exec python - "${2:-/healthz}" <<'PY'
import os
import sys
import urllib.error
import urllib.request

path = sys.argv[1]
# Django answers only to ALLOWED_HOSTS, so send the first concrete one as Host
# (".example.com" stands for example.com and its subdomains).
hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",")]
host = next((h for h in hosts if h and h != "*"), "localhost")
port = os.environ.get("HEALTHCHECK_PORT", "8000")
request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        ok = 200 <= response.status < 300
except (urllib.error.URLError, OSError) as exc:
    print(f"healthcheck {path}: {exc}", file=sys.stderr)
    sys.exit(1)
sys.exit(0 if ok else 1)
PY
        ;;
esac

exec "$@"
