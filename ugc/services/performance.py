"""Observed performance of assets on the storefronts, written here by `analytics`.

`analytics` computes impressions, clicks, conversions and attributed revenue per
asset and day and calls `record_asset_performance()`; ugc never imports analytics
(docs/architecture.md, the layers). A call is an upsert per (asset, day, source): sending the same
numbers again changes nothing, not even the "new data" marker that incremental
rescoring reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
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


# -- social engagement: platform exports of per-post metrics and account followers ------

# Our field -> the names platforms use for it (Instagram insights, Graph API media
# fields, TikTok display API), first found wins.
ENGAGEMENT_FIELDS: dict[str, tuple[str, ...]] = {
    "impressions": ("impressions",),
    "reach": ("reach",),
    "likes": ("likes", "like_count"),
    "comments": ("comments", "comments_count", "comment_count"),
    "saves": ("saves", "saved"),
    "shares": ("shares", "share_count"),
    "video_views": ("video_views", "plays", "views", "view_count"),
}
NULLABLE = {"impressions", "reach", "video_views"}


@dataclass
class EngagementResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    followers: int = 0
    failed: list[dict] = field(default_factory=list)

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def _when(value, where: str) -> dt.datetime:
    from django.utils.dateparse import parse_datetime

    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    parsed = parse_datetime(value.strip()) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationError(f"{where} must be an ISO 8601 time or epoch seconds")
    return parsed if parsed.tzinfo else timezone.make_aware(parsed, dt.UTC)


def _insights(item: dict) -> dict:
    """Instagram's insights edge, {"data": [{"name": ..., "values": [{"value": n}]}]},
    as plain name -> value."""
    edge = item.get("insights")
    rows = edge.get("data") if isinstance(edge, dict) else edge
    flat = {}
    for row in rows if isinstance(rows, list) else []:
        values = row.get("values") if isinstance(row, dict) else None
        if isinstance(values, list) and values and isinstance(values[-1], dict):
            flat[row.get("name")] = values[-1].get("value")
        elif isinstance(row, dict) and "value" in row:
            flat[row.get("name")] = row["value"]
    return flat


def engagement_counts(item: dict) -> dict:
    """Our counters from one platform item; ValidationError names a bad one."""
    source = {**item, **_insights(item)}
    counts = {}
    for name, aliases in ENGAGEMENT_FIELDS.items():
        value = next((source[a] for a in aliases if source.get(a) is not None), None)
        if value is None:
            counts[name] = None if name in NULLABLE else 0
            continue
        counts[name] = _count(name, value)
    if not any(counts.values()):
        raise ValidationError("no metrics: expected impressions, reach, likes, comments, ...")
    return counts


def _items(document) -> tuple[str, list]:
    """(platform, items) of an Instagram ({"data": [...]}) or TikTok ({"data":
    {"videos": [...]}}) export; "platform" in the document overrides the shape's."""
    if not isinstance(document, dict):
        raise ValidationError(
            "expected a JSON object with a `data` list (Instagram) or `data.videos` (TikTok)"
        )
    data = document.get("data", [])
    if isinstance(data, dict) and isinstance(data.get("videos"), list):
        platform, items = "tiktok", data["videos"]
    elif isinstance(data, list):
        platform, items = "instagram", data
    else:
        raise ValidationError("`data` must be a list of posts, or an object with `videos`")
    return str(document.get("platform") or platform), items


def import_engagement(document, *, default_captured_at: dt.datetime | None = None):
    """Store per-post snapshots and account followers from a platform export.

    Each post is matched to its asset by platform and platform id and stored as the
    snapshot at its `captured_at` (the item's, the document's, or `default_captured_at`);
    the same snapshot sent again changes nothing. A bad item is reported with its reason
    and the items around it still come in.
    """
    from ugc.models import Platform

    platform, items = _items(document)
    if platform not in Platform.values:
        raise ValidationError(f"unknown platform {platform!r}")
    document_time = document.get("captured_at")
    result = EngagementResult()
    for index, item in enumerate(items):
        try:
            when = item.get("captured_at", document_time) if isinstance(item, dict) else None
            captured = _when(when, "captured_at") if when is not None else default_captured_at
            result.add(_store_snapshot(platform, item, captured))
        except (ValidationError, Asset.DoesNotExist) as exc:
            result.failed.append({"item": index, "id": _item_id(item), "reason": _reason(exc)})
    _import_followers(document, platform, default_captured_at, result)
    return result


def _item_id(item) -> str:
    value = item.get("id") if isinstance(item, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _reason(exc: Exception) -> str:
    return "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc.args[0])


def _store_snapshot(platform: str, item, captured_at) -> str:
    from ugc.models import AssetEngagementSnapshot

    if not isinstance(item, dict):
        raise ValidationError("a post must be a JSON object")
    platform_id = _item_id(item)
    if not platform_id:
        raise ValidationError("a post needs its platform `id`")
    if captured_at is None:
        raise ValidationError("captured_at is missing (on the post or the document)")
    counts = engagement_counts(item)
    asset_id = (
        Asset.objects.filter(source_platform=platform, platform_id=platform_id)
        .values_list("pk", flat=True)
        .first()
    )
    if asset_id is None:
        raise Asset.DoesNotExist(f"no asset with {platform} id {platform_id}")
    with transaction.atomic():
        row = (
            AssetEngagementSnapshot.objects.select_for_update()
            .filter(asset_id=asset_id, captured_at=captured_at)
            .first()
        )
        if row is not None and all(getattr(row, k) == v for k, v in counts.items()):
            return "unchanged"
        _, created = AssetEngagementSnapshot.objects.update_or_create(
            asset_id=asset_id, captured_at=captured_at, defaults={**counts, "raw": item}
        )
    return "created" if created else "updated"


def _import_followers(document, platform, default_captured_at, result) -> None:
    """Followers over time: `followers` [{handle, followers, captured_at}] or Instagram's
    user node `account` {username, followers_count}."""
    rows = document.get("followers") or []
    account = document.get("account")
    if isinstance(account, dict):
        rows = [*rows, account] if isinstance(rows, list) else [account]
    if not isinstance(rows, list):
        result.failed.append({"item": "followers", "id": "", "reason": "must be a list"})
        return
    for index, row in enumerate(rows):
        try:
            record_followers(row, platform, document.get("captured_at"), default_captured_at)
            result.followers += 1
        except ValidationError as exc:
            result.failed.append({"item": f"followers.{index}", "id": "", "reason": _reason(exc)})


def record_followers(row, platform, document_time, default_captured_at) -> None:
    from ugc.captions import normalise_handle
    from ugc.models import AccountFollowerSnapshot

    if not isinstance(row, dict):
        raise ValidationError("a followers entry must be a JSON object")
    handle = normalise_handle(str(row.get("handle") or row.get("username") or ""))
    if not handle:
        raise ValidationError("a followers entry needs its `handle`")
    followers = _count("followers", row.get("followers", row.get("followers_count")))
    when = row.get("captured_at", document_time)
    captured = _when(when, "captured_at") if when is not None else default_captured_at
    if captured is None:
        raise ValidationError("captured_at is missing (on the entry or the document)")
    from ugc.models import Platform

    account_platform = str(row.get("platform") or platform)
    if account_platform not in Platform.values:
        raise ValidationError(f"unknown platform {account_platform!r}")
    AccountFollowerSnapshot.objects.update_or_create(
        platform=account_platform,
        handle=handle,
        captured_at=captured,
        defaults={"followers": followers},
    )
