"""Shops that send orders, and their webhook secrets."""

from __future__ import annotations

import secrets

from commerce.models import Shop


def create_or_update_shop(*, domain: str, name: str = "", webhook_secret: str = "") -> Shop:
    """Create the shop or change its name/secret; a new secret is generated if none is given."""
    domain = domain.strip().lower()
    shop = Shop.objects.filter(domain=domain).first() or Shop(domain=domain)
    shop.name = name or shop.name or domain
    if webhook_secret or not shop.webhook_secret:
        shop.webhook_secret = webhook_secret or secrets.token_urlsafe(32)
    shop.full_clean()
    shop.save()
    return shop
