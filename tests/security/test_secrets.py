"""Secrets never reach the logs or an error response.

A real gunicorn runs with production settings and recognisable secrets (the
Django key, the customer hash key, a database password, a broker password, a
shop's webhook secret), logging at DEBUG. Requests that fail in every way the
public can make them fail are sent; then the log and every body are searched.
"""

from __future__ import annotations

import base64
import http.client
import json
import secrets

import pytest
from django.conf import settings

from commerce.services.shops import create_or_update_shop
from core.database import database_url
from tests.analytics.web import free_port, start_web

pytestmark = pytest.mark.worker


def _secrets() -> dict[str, str]:
    return {
        "SECRET_KEY": "sk-" + secrets.token_hex(32),
        "CUSTOMER_HASH_KEY": "ch-" + secrets.token_hex(24),
        "ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "db password": "dbpw" + secrets.token_hex(8),
        "broker password": "brpw" + secrets.token_hex(8),
        "webhook secret": "wh-" + secrets.token_hex(16),
    }


def _production_env(found: dict[str, str]) -> dict[str, str]:
    db = {**settings.DATABASES["default"], "PASSWORD": found["db password"]}
    closed_port = free_port()  # nothing listens: the broker is down, readyz says so
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": found["SECRET_KEY"],
        "CUSTOMER_HASH_KEY": found["CUSTOMER_HASH_KEY"],
        "ENCRYPTION_KEYS": found["ENCRYPTION_KEYS"],
        # The local server trusts its socket, so the password is carried but unused.
        "DATABASE_URL": database_url(db),
        "CELERY_BROKER_URL": f"redis://:{found['broker password']}@127.0.0.1:{closed_port}/0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "DEBUG",
    }


def _request(port, method, path, body=b"", headers=None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _failing_requests(shop_domain: str) -> list[tuple[str, str, bytes, dict]]:
    order = json.dumps({"id": 1, "line_items": []}).encode()
    return [
        ("GET", "/readyz", b"", {}),
        ("GET", "/api/v1/me", b"", {"Authorization": "Token not-a-token"}),
        ("POST", "/login/", b"username=x&password=y", {}),
        ("POST", "/api/v1/collect?key=nope", b'{"events": [', {"Content-Type": "text/plain"}),
        ("GET", "/api/v1/public/galleries/x?key=nope", b"", {}),
        ("GET", "/api/v1/nowhere", b"", {}),
        (
            "POST",
            "/api/v1/webhooks/shopify/orders",
            order,
            {
                "Content-Type": "application/json",
                "X-Shopify-Shop-Domain": shop_domain,
                "X-Shopify-Hmac-Sha256": "d3Jvbmc=",
                "X-Shopify-Topic": "orders/create",
            },
        ),
    ]


def test_no_secret_in_logs_or_error_responses(transactional_db, tmp_path):
    found = _secrets()
    shop = create_or_update_shop(domain="shop.example", webhook_secret=found["webhook secret"])
    port = free_port()
    web = start_web(port, _production_env(found), tmp_path / "web.log", workers=1)
    try:
        bodies = []
        for method, path, body, headers in _failing_requests(shop.domain):
            status, answer = _request(port, method, path, body, headers)
            assert status < 500 or path == "/readyz", (path, status, answer[:300])
            bodies.append(answer.decode(errors="replace"))
    finally:
        web.stop()
    log = (tmp_path / "web.log").read_text(errors="replace")
    assert "broker" in bodies[0] and "down" in bodies[0], "readyz saw the broker down"
    for name, value in found.items():
        assert value not in log, f"the {name} is in the log"
        for body in bodies:
            assert value not in body, f"the {name} is in a response"
