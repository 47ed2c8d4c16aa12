"""Receiving Meta's webhooks: the subscription handshake and the payload signature."""

from __future__ import annotations

import hashlib
import hmac


def handshake_challenge(query: dict, verify_token: str) -> str | None:
    """The hub.challenge to echo when Meta's subscribe check carries our verify token, else None."""
    if query.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(str(query.get("hub.verify_token", "")), verify_token):
        return None
    return query.get("hub.challenge")


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 is "sha256=" + HMAC-SHA256(app secret, raw body).

    Compared in constant time, so the answer time leaks nothing of the expected value.
    """
    if not header or not header.startswith("sha256=") or not app_secret:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))
