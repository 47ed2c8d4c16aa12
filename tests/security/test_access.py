"""Nothing answers without authentication except the public endpoints, and a
coordinator cannot reach what only an admin may do.

The test walks the whole URL conf, so an endpoint added later is checked without
anyone remembering to list it here; a new public endpoint must be named below.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from core.roles import COORDINATOR
from tests.ugc.factories import CreatorFactory, UserFactory

pytestmark = pytest.mark.django_db

# Routes anyone may call, each with the reason it is public. Everything else must
# answer an anonymous caller with 401/403, a redirect to the login page, or 405.
PUBLIC = {
    "": "the landing page: links only",
    "healthz": "liveness for the load balancer",
    "readyz": "readiness for the load balancer",
    "login/": "the login form itself",
    "logout/": "logging out needs no login",
    "media/<path:path>": "renditions shown on storefronts (originals are never under it)",
    "api/schema/": "the public OpenAPI document",
    "api/docs/": "the API reference page",
    "api/v1/public/galleries/<slug:slug>": "storefront galleries, by publishable key",
    "api/v1/public/galleries/<slug:slug>/embed": "the embed snippet, by publishable key",
    "api/v1/collect": "storefront events, by publishable key",
    "api/v1/webhooks/shopify/orders": "shop webhooks, authenticated by HMAC signature",
    "api/v1/webhooks/orders": "shop webhooks, authenticated by HMAC signature",
    "^api/": "the problem-details 404 for unknown API paths",
    "favicon.ico": "the site's icon",
    "i18n/setlang/": "Django's language switch: it only sets the visitor's language cookie",
    "r/<str:token>": "a photo request's link, by its signed and expiring token",
    "u/<str:token>": "one-click unsubscribe (RFC 8058), by its signed token",
    "upload/<str:site>/": "the storefront upload page: shoppers have no login; CSRF, "
    "honeypot and rate limits guard it",
    "creators/invite/<str:token>": "a creator's invitation, by its signed, single-use token",
    "creators/invite/<str:token>/connect": "the invitation's Connect button, same token",
    "creators/tiktok/callback": "TikTok's OAuth return, checked by the state in the session",
    "creators/disconnect/<str:token>": "a creator disconnecting, by a signed token",
}
DENIED = {401, 403, 405}

# Dummy values for path converters and regex groups: the check is about who may
# call, so any well-formed id will do.
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<\w+>[^)]*\)")


def routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def concrete(route: str) -> str:
    path = CONVERTER.sub(lambda m: "1" if m.group(1) in (None, "int") else "x", route)
    path = REGEX_GROUP.sub("1", path)
    return "/" + path.replace("^", "").replace("$", "")


def guarded_routes() -> list[str]:
    # Django's admin has its own staff login and is checked separately below.
    return sorted({r for r in routes() if r not in PUBLIC and not r.startswith("admin/")})


def refused(response) -> bool:
    if response.status_code in DENIED:
        return True
    return response.status_code == 302 and "/login/" in response.get("Location", "")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # throttle counters of earlier tests must not turn a 401 into a 429
    yield
    cache.clear()


def test_the_walk_finds_the_api_and_the_workspace():
    found = guarded_routes()
    assert any(r.startswith("api/v1/") for r in found)
    assert any(r.startswith("workspace/") for r in found)
    assert len(found) > 60, found
    assert set(PUBLIC) <= set(routes()), "a public route listed here no longer exists"


@pytest.mark.parametrize("route", guarded_routes())
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_an_anonymous_caller_is_refused(route, method):
    client = Client(raise_request_exception=False)
    response = getattr(client, method)(concrete(route), data={}, content_type="application/json")
    assert refused(response), (method, route, response.status_code, response.content[:300])


def test_the_admin_site_sends_anonymous_callers_to_its_login():
    response = Client().get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.fixture
def coordinator_client():
    user = UserFactory()
    user.groups.add(Group.objects.get(name=COORDINATOR))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# Product lines are read-only for everyone through the API (405), so not listed.
ADMIN_ONLY = [
    ("get", "/api/v1/creators/{creator}/export"),
    ("post", "/api/v1/creators/{creator}/erase"),
    ("post", "/api/v1/products"),
    ("put", "/api/v1/products/1"),
    ("patch", "/api/v1/products/1"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY)
def test_a_coordinator_cannot_reach_admin_only_endpoints(coordinator_client, method, path):
    creator = CreatorFactory()
    response = getattr(coordinator_client, method)(
        path.format(creator=creator.pk), data={}, content_type="application/json"
    )
    assert response.status_code == 403, response.content[:300]
    assert "admin" in response.json()["detail"]
    assert type(creator).objects.filter(pk=creator.pk).exists(), "nothing erased"


def test_a_coordinator_is_not_let_into_the_django_admin(coordinator_client):
    response = coordinator_client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
