"""Observed performance of assets on the storefronts, written here by `analytics`.

`analytics` computes impressions, clicks, conversions and attributed revenue per
asset and day and calls `record_asset_performance()`; ugc never imports analytics
(DESIGN.md §2). A call is an upsert per (asset, day, source): sending the same
numbers again changes nothing, not even the "new data" marker that incremental
rescoring reads.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ugc.models import Asset, AssetPerformance

COUNTERS = ("gallery_impressions", "clicks", "conversions")
MAX_SOURCE_LENGTH = AssetPerformance._meta.get_field("source").max_length


def _count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a whole number of at least 0, not {value!r}")
    return value


def _revenue(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"revenue must be a number, not {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(f"revenue must be a finite amount of at least 0, not {value!r}")
    return amount.quantize(Decimal("0.001"))


def _checked(day, counts: dict[str, int], revenue, source: str) -> tuple[Decimal, str]:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationError(f"day must be a date, not {day!r}")
    for name, value in counts.items():
        _count(name, value)
    if counts["clicks"] > counts["gallery_impressions"]:
        raise ValidationError("clicks cannot exceed gallery_impressions")
    source = (source or "").strip() if isinstance(source, str) else ""
    if not source or len(source) > MAX_SOURCE_LENGTH:
        raise ValidationError(f"source must be 1 to {MAX_SOURCE_LENGTH} characters")
    return _revenue(revenue), source


def record_asset_performance(
    *,
    asset_id: int,
    day: dt.date,
    gallery_impressions: int,
    clicks: int,
    conversions: int,
    revenue,
    source: str,
) -> str:
    """Store what one source says an asset did on one day: "created", "updated" or
    "unchanged". Raises ValidationError naming the bad value, or Asset.DoesNotExist."""
    counts = {
        "gallery_impressions": gallery_impressions,
        "clicks": clicks,
        "conversions": conversions,
    }
    amount, source = _checked(day, counts, revenue, source)
    if not Asset.objects.filter(pk=asset_id).exists():
        raise Asset.DoesNotExist(f"no asset {asset_id}")
    with transaction.atomic():
        row = (
            AssetPerformance.objects.select_for_update()
            .filter(asset_id=asset_id, day=day, source=source)
            .first()
        )
        if row is None:
            return _create(asset_id, day, source, counts, amount)
        if all(getattr(row, k) == v for k, v in counts.items()) and row.revenue == amount:
            return "unchanged"
        for name, value in counts.items():
            setattr(row, name, value)
        row.revenue = amount
        row.updated_at = timezone.now()
        row.save()
        return "updated"


def _create(asset_id, day, source, counts, amount) -> str:
    # Two callers racing on a new row: the loser's insert becomes an update.
    _, created = AssetPerformance.objects.update_or_create(
        asset_id=asset_id,
        day=day,
        source=source,
        defaults={**counts, "revenue": amount, "updated_at": timezone.now()},
    )
    return "created" if created else "updated"
