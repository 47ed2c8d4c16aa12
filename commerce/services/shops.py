"""Shops that send orders, and their webhook secrets."""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import ValidationError

from commerce.models import Shop

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,255}}$){_LABEL}(?:\.{_LABEL})+$")


def clean_domain(domain: str) -> str:
    """The shop's domain, lower case; a ValidationError if it is not a host name."""
    domain = (domain or "").strip().lower()
    if not _DOMAIN.match(domain):
        raise ValidationError(f"{domain!r} is not a domain name such as brand.myshopify.com")
    return domain


def create_or_update_shop(*, domain: str, name: str = "", webhook_secret: str = "") -> Shop:
    """Create the shop or change its name/secret; a new secret is generated if none is given."""
    domain = clean_domain(domain)
    shop = Shop.objects.filter(domain=domain).first() or Shop(domain=domain)
    shop.name = name or shop.name or domain
    if webhook_secret or not shop.webhook_secret:
        shop.webhook_secret = webhook_secret or secrets.token_urlsafe(32)
    shop.full_clean()
    shop.save()
    return shop
