"""Shops are made by a command or the admin; the admin pages of commerce render."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from commerce.models import Shop
from tests.commerce.factories import ProductFactory, ShopFactory


def test_create_shop_generates_a_secret_once_and_updates(db, capsys):
    call_command("create_shop", "Brand.MyShopify.com", "--name", "Brand")
    out = capsys.readouterr().out
    shop = Shop.objects.get()
    assert shop.domain == "brand.myshopify.com" and f"webhook secret: {shop.webhook_secret}" in out
    call_command("create_shop", "brand.myshopify.com", "--name", "Brand EU", "--secret", "s3cret")
    shop.refresh_from_db()
    assert (shop.name, shop.webhook_secret) == ("Brand EU", "s3cret")
    with pytest.raises(CommandError, match="not a domain name"):
        call_command("create_shop", "not a domain")


@pytest.mark.parametrize(
    "page",
    [
        "product",
        "productline",
        "shop",
        "order",
        "customer",
        "customervisitor",
        "refund",
        "webhookdelivery",
    ],
)
def test_admin_pages_render_and_never_show_the_secret(client, db, page):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-root-123456")
    client.force_login(admin)
    shop = ShopFactory(webhook_secret="very-secret-value")
    ProductFactory()
    response = client.get(f"/admin/commerce/{page}/")
    assert response.status_code == 200
    if page == "shop":
        change = client.get(f"/admin/commerce/shop/{shop.pk}/change/")
        assert change.status_code == 200 and b"very-secret-value" not in change.content


def test_the_admin_form_checks_the_domain_and_keeps_the_secret(client, db):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-root-123456")
    client.force_login(admin)
    response = client.post(
        "/admin/commerce/shop/add/", {"name": "X", "domain": "no spaces", "webhook_secret": "s"}
    )
    assert response.status_code == 200 and b"is not a domain name" in response.content
    client.post(
        "/admin/commerce/shop/add/", {"name": "X", "domain": "X.example", "webhook_secret": "s"}
    )
    shop = Shop.objects.get(domain="x.example")
    client.post(f"/admin/commerce/shop/{shop.pk}/change/", {"name": "Y", "domain": "x.example"})
    shop.refresh_from_db()
    assert (shop.name, shop.webhook_secret) == ("Y", "s")
