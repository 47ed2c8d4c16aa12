"""Connecting a brand account the way the product does (platforms.services.accounts)
against the platform emulator: the consent URL, the emulator's consent (it approves
at once and redirects with a code), and the code traded for tokens."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx

from platforms.models import ConnectedAccount
from platforms.services import accounts

REDIRECT_URI = "https://brand.example/workspace/sources/connected"


def connect_account(platform: str) -> ConnectedAccount:
    session: dict = {}
    consent = httpx.get(accounts.start_connection(session, platform, REDIRECT_URI))
    assert consent.status_code in (302, 303), consent.text[:300]
    query = dict(parse_qsl(urlsplit(consent.headers["location"]).query))
    return accounts.finish_connection(session, query)
