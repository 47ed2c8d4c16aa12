"""The catalog, order and customer API: roles, filters, cursor pagination, no secrets."""

import json

import pytest

from commerce.models import Product
from commerce.signals import product_changed
from tests.commerce.conftest import assert_problem, post_shopify
from tests.commerce.factories import (
    LineItemPayload,
    OrderPayload,
    ProductFactory,
    ProductLineFactory,
    VariantFactory,
)


@pytest.fixture
def orders(client, shop):
    VariantFactory(sku="KNOWN")
    post_shopify(client, OrderPayload(line_items=[LineItemPayload(sku="KNOWN")]), webhook_id="1")
    post_shopify(
        client,
        OrderPayload(
            landing_site="/?utm_source=tiktok", line_items=[LineItemPayload(sku="MYSTERY")]
        ),
        webhook_id="2",
    )


def test_reading_needs_a_role(client, db):
    assert_problem(client.get("/api/v1/orders"), 401)
    from tests.commerce.conftest import role_client

    assert_problem(role_client(None).get("/api/v1/products"), 403)


@pytest.mark.parametrize("who", ["analyst", "coordinator"])
def test_coordinators_and_analysts_read_orders_with_filters(request, orders, who):
    api = request.getfixturevalue(who)
    body = api.get("/api/v1/orders").json()
    assert len(body["results"]) == 2 and "next" in body
    order = body["results"][0]
    assert order["shop"] == "brand.myshopify.com" and order["total"] == "398.000"
    assert "webhook_secret" not in json.dumps(body)
    assert [
        r["utm_source"] for r in api.get("/api/v1/orders?utm_source=tiktok").json()["results"]
    ] == ["tiktok"]
    unknown = api.get("/api/v1/orders?unknown_product=true").json()["results"]
    assert [line["sku"] for line in unknown[0]["lines"]] == ["MYSTERY"]
    assert len(api.get("/api/v1/orders?sku=KNOWN").json()["results"]) == 1
    assert len(api.get("/api/v1/orders?created_after=2030-01-01T00:00:00Z").json()["results"]) == 0
    customers = api.get("/api/v1/customers?visitor_id=v-123").json()["results"]
    assert (
        customers and customers[0]["visitor_ids"] == ["v-123"] and "@" not in json.dumps(customers)
    )


def test_a_bad_filter_is_a_400_problem(analyst, db):
    problem = assert_problem(analyst.get("/api/v1/orders?created_after=not-a-date"), 400)
    assert problem["errors"][0]["field"] == "created_after"


def test_cursor_pagination(analyst, db):
    ProductFactory.create_batch(5)
    page = analyst.get("/api/v1/products?limit=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = analyst.get(page["next"]).json()
    assert len(rest["results"]) == 2


def test_products_filter_by_line_including_sub_lines(analyst, db):
    parent = ProductLineFactory(slug="apparel")
    child = ProductLineFactory(slug="shirts", parent=parent)
    ProductFactory(sku="S-1", product_line=child)
    ProductFactory(sku="OTHER")
    skus = [
        p["sku"] for p in analyst.get("/api/v1/products?product_line=apparel").json()["results"]
    ]
    assert skus == ["S-1"]
    lines = analyst.get("/api/v1/product-lines?root=true").json()["results"]
    assert {line["slug"] for line in lines} >= {"apparel"} and "shirts" not in {
        line["slug"] for line in lines
    }


def test_only_admins_write_products_and_embeddings_hear_of_it(
    admin_api, coordinator, db, django_capture_on_commit_callbacks
):
    data = {"sku": "NEW-1", "title": "New", "price": "10.00", "currency": "EUR"}
    assert_problem(coordinator.post("/api/v1/products", data, format="json"), 403)
    seen = []
    product_changed.connect(
        lambda sender, product_ids, fields, **kw: seen.append(fields),
        weak=False,
        dispatch_uid="test-api",
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            created = admin_api.post("/api/v1/products", data, format="json")
        assert created.status_code == 201, created.content
        pk = created.json()["id"]
        with django_capture_on_commit_callbacks(execute=True):
            admin_api.patch(f"/api/v1/products/{pk}", {"price": "12.00"}, format="json")
            admin_api.patch(
                f"/api/v1/products/{pk}", {"description": "Now described"}, format="json"
            )
    finally:
        product_changed.disconnect(dispatch_uid="test-api")
    assert seen[-1] == {"description"} and len(seen) == 2
    assert Product.objects.get(pk=pk).price == 12


def test_product_writes_are_validated(admin_api, db):
    problem = assert_problem(
        admin_api.post(
            "/api/v1/products",
            {"sku": "X", "title": "X", "price": "1", "currency": "QQQ"},
            format="json",
        ),
        400,
    )
    assert problem["errors"][0]["field"] == "currency"
    problem = assert_problem(
        admin_api.post(
            "/api/v1/products", {"sku": "X", "title": "X", "price": "-1"}, format="json"
        ),
        400,
    )
    assert "price" in {e["field"] for e in problem["errors"]}


def test_orders_are_read_only(admin_api, db):
    assert_problem(admin_api.post("/api/v1/orders", {}, format="json"), 405)


def test_the_schema_lists_the_commerce_endpoints(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/products",
        "/api/v1/product-lines",
        "/api/v1/orders",
        "/api/v1/customers",
    ):
        assert path in schema["paths"], path
    assert "webhook_secret" not in json.dumps(schema)
