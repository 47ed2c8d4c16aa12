"""Fixtures of the analytics tests: a site with an allowed origin, events to send."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from ugc.models import Site

ORIGIN = "https://shop.example"


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()  # site lookups are cached per key
    yield
    cache.clear()


@pytest.fixture
def client():
    return APIClient(raise_request_exception=False)


@pytest.fixture
def site(db):
    return Site.objects.create(name="Shop", domain="shop.example", allowed_origins=[ORIGIN])


def now_ms() -> int:
    return int(time.time() * 1000)


def event(type_="page_view", **fields) -> dict:
    base = {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "client_time": now_ms(),
        "visitor_id": "v_alice",
        "session_id": "s_alice_1",
        "page_url": "https://shop.example/p/x",
        "referrer": "",
    }
    needed = {
        "asset_impression": {"asset_id": 7},
        "asset_click": {"asset_id": 7},
        "lightbox_open": {"asset_id": 7},
        "gallery_view": {"gallery": "homepage"},
        "product_click": {"product_sku": "SKU-1"},
        "add_to_cart": {"product_sku": "SKU-1"},
        "purchase": {"value": "19.99", "currency": "EUR"},
    }
    return {**base, **needed.get(type_, {}), **fields}


def post(client, site, events, *, content_type="text/plain;charset=UTF-8", key=None, **extra):
    url = f"/api/v1/collect?key={site.publishable_key if key is None else key}"
    body = events if isinstance(events, bytes | str) else json.dumps({"events": events})
    return client.post(url, body, content_type=content_type, **extra)
