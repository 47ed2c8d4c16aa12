"""Reads: the photo-request funnel, and the outbox."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet, Sum

from outreach.models import PhotoRequest, RequestLink, RequestState, Suppression
from ugc.models import ModerationState, Site
from ugc.selectors import publishable_assets

FUNNEL_GROUPS = ("all", "site", "product_line")
# How long the upload page may use a site it read: a shop's new origins or language
# reach the page within seconds, and a burst of uploads reads the row once.
PAGE_SITE_SECONDS = 5

# The per-asset revenue the dashboard ranks assets by (analytics' daily rollup).
PERFORMANCE_SOURCE = "rollup"


def funnel(*, group: str = "all", since=None, until=None, site_id=None) -> list[dict]:
    """Per group: requests sent, and per product link: sent, clicked (opened at least
    once), uploaded, approved and published (the photo that came through the link).

    Counted per link (one product of one request), so a product line's figures add up
    across requests. `revenue`: the storefront revenue those assets assisted, from the
    daily performance analytics writes to ugc (source "rollup", the dashboard's
    per-asset figure), over all time. `site_id`: only that storefront's requests.
    """
    links = RequestLink.objects.filter(request__state=RequestState.SENT)
    if site_id:
        links = links.filter(request__site_id=site_id)
    if since:
        links = links.filter(request__sent_at__gte=since)
    if until:
        links = links.filter(request__sent_at__lt=until)
    key = {
        "all": None,
        "site": "request__site_id",
        "product_line": "product__product_line_id",
    }[group]
    published = publishable_assets().values("pk")
    if not key:
        revenue = _revenue(links).aggregate(revenue=Sum("asset_revenue"))["revenue"]
        return [{"group": "all", "key": None, **links.aggregate(**_totals(published)),
                 "revenue": revenue or Decimal(0)}]  # fmt: skip
    rows = links.values(key).annotate(**_totals(published)).order_by(key)
    revenue = dict(
        _revenue(links).values(key).annotate(total=Sum("asset_revenue")).values_list(key, "total")
    )
    return [
        {"group": group, "key": row[key], **{k: v for k, v in row.items() if k != key},
         "revenue": revenue.get(row[key]) or Decimal(0)}
        for row in rows
    ]  # fmt: skip


def _revenue(links):
    """The links' assets' performance rows, one per asset and day: summed apart from the
    counts, so a day's row does not multiply them."""
    return links.filter(asset__performance__source=PERFORMANCE_SOURCE).annotate(
        asset_revenue=F("asset__performance__revenue")
    )


def _totals(published) -> dict:
    return {
        "requests": Count("request", distinct=True),
        "sent": Count("pk"),
        "clicked": Count("pk", filter=Q(first_clicked_at__isnull=False)),
        "uploaded": Count("pk", filter=Q(asset__isnull=False)),
        "approved": Count("pk", filter=Q(asset__moderation_state=ModerationState.APPROVED)),
        "published": Count("pk", filter=Q(asset__in=published)),
    }


@dataclass
class Outbox:
    counts: dict[str, int]
    requests: QuerySet
    suppressed_addresses: int


def outbox(state: str, limit: int = 50) -> Outbox:
    counts = dict(
        PhotoRequest.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    rows = (
        PhotoRequest.objects.filter(state=state)
        .select_related("order", "site")
        .prefetch_related("links__product")
        .order_by("-updated_at")[:limit]
    )
    return Outbox(
        counts={value: counts.get(value, 0) for value in RequestState.values},
        requests=rows,
        suppressed_addresses=Suppression.objects.count(),
    )


def mask(email: str) -> str:
    """j•••@e•••.com: enough to tell two buyers apart on screen, not to write to them."""
    local, _, domain = email.partition("@")
    if not domain:
        return "•••" if email else ""
    name, dot, tld = domain.rpartition(".")
    return f"{local[:1]}•••@{(name or tld)[:1]}•••{dot}{tld if name else ''}"


def page_site(key: str) -> Site | None:
    """The upload page's site, by its id or its publishable key (what the widget
    knows), cached for PAGE_SITE_SECONDS like the public API's site lookup."""
    cache_key = f"outreach:page-site:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    site = cache.get(cache_key)
    if site is None:
        by = {"pk": int(key)} if key.isdigit() else {"publishable_key": key}
        site = Site.objects.filter(**by).first()
        if site is not None:
            cache.set(cache_key, site, PAGE_SITE_SECONDS)
    return site
