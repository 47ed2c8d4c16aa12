"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import time

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

CHECK_TIMEOUT_SECONDS = 3


@never_cache
@require_GET
def healthz(request):
    """The process is alive and serving; says nothing of its dependencies."""
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    from celery import current_app

    with current_app.connection_for_write() as conn:
        # One retry at once: kombu's default waits 2 s before it, which only delays the
        # answer a load balancer is waiting for.
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=CHECK_TIMEOUT_SECONDS)


CHECKS = {"database": check_database, "broker": check_broker}


@never_cache
@require_GET
def readyz(request):
    """Ready to serve: the database and the broker answer. 503 names what is down."""
    results, down = {}, []
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as exc:  # any failure means not ready, whatever its type
            error = f"{type(exc).__name__}: {exc}".strip()[:300]
            results[name] = {"status": "down", "error": error}
            down.append(name)
        else:
            results[name] = {"status": "ok", "ms": round((time.monotonic() - started) * 1000, 1)}
    if down:
        body = {
            "status": "unavailable",
            "down": down,
            "checks": results,
            "detail": f"not ready: {', '.join(down)} unreachable",
        }
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ready", "checks": results})
