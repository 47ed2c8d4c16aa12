import json

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from commerce.services.webhooks import sign
from core.roles import ADMIN, ANALYST, COORDINATOR
from tests.commerce.factories import SHOP_SECRET, ShopFactory

SHOPIFY_URL = "/api/v1/webhooks/shopify/orders"
GENERIC_URL = "/api/v1/webhooks/orders"
PROBLEM = "application/problem+json"


@pytest.fixture
def shop(db):
    return ShopFactory(domain="brand.myshopify.com")


@pytest.fixture
def client():
    return APIClient(raise_request_exception=False)


def role_client(role: str | None) -> APIClient:
    user = User.objects.create_user(f"user-{role}", password="pw-123456789")
    if role:
        user.groups.add(Group.objects.get(name=role))
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(user)
    return api


@pytest.fixture
def analyst(db):
    return role_client(ANALYST)


@pytest.fixture
def coordinator(db):
    return role_client(COORDINATOR)


@pytest.fixture
def admin_api(db):
    return role_client(ADMIN)


def shopify_headers(
    body: bytes,
    *,
    topic="orders/create",
    webhook_id="wh-1",
    secret=SHOP_SECRET,
    domain="brand.myshopify.com",
    **extra,
) -> dict:
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(secret, body),
        "X-Shopify-Shop-Domain": domain,
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-API-Version": "2025-01",
    }
    headers.update(extra)
    return {k: v for k, v in headers.items() if v is not None}


def post_shopify(client, payload, *, content_type="application/json", body=None, **kwargs):
    body = body if body is not None else json.dumps(payload).encode()
    return client.generic(
        "POST",
        SHOPIFY_URL,
        body,
        content_type=content_type,
        headers=shopify_headers(body, **kwargs),
    )


def post_generic(
    client, payload, *, webhook_id="g-1", secret=SHOP_SECRET, domain="brand.myshopify.com"
):
    body = json.dumps(payload).encode()
    headers = {
        "X-Shop-Domain": domain,
        "X-Signature-Sha256": sign(secret, body),
        "X-Webhook-Id": webhook_id,
    }
    return client.generic(
        "POST", GENERIC_URL, body, content_type="application/json", headers=headers
    )


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"] and body["title"]
    return body
