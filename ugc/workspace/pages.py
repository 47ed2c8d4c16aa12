"""Reads for the asset, review, rights and imports screens (bounded, no N+1)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from ugc import selectors
from ugc.models import (
    Asset,
    AssetPerformance,
    AssetScore,
    ImportItem,
    ImportRun,
    ModerationState,
    ProcessingState,
    ProductTag,
    Rendition,
    RightsRequest,
    RightsState,
)
from ugc.search.query import SearchRequest, search

CREATOR_OTHERS = 12
MORE_LIKE_THIS = 8
EXPIRY_WINDOW_DAYS = 30
SCORE_PARTS = ("quality", "relevance", "performance", "social", "freshness", "diversity")


def asset_detail(pk: int) -> Asset:
    return (
        selectors.asset_library()
        .prefetch_related(
            Prefetch(
                "product_tags",
                queryset=ProductTag.objects.filter(accepted=True)
                .select_related("product")
                .order_by("product__sku"),
                to_attr="tagged_products",
            ),
            Prefetch("audit_trail", to_attr="history"),
            Prefetch(
                "rights_requests",
                queryset=RightsRequest.objects.order_by("-requested_at"),
                to_attr="rights_history",
            ),
        )
        .select_related("duplicate_of", "rejection_reason")
        .get(pk=pk)
    )


def tiles(queryset) -> list[Asset]:
    """Assets with what a thumbnail needs, in two queries."""
    return list(
        queryset.select_related("creator").prefetch_related(
            Prefetch("renditions", queryset=Rendition.objects.order_by("kind", "format", "width"))
        )
    )


def creator_others(asset: Asset) -> list[Asset]:
    if not asset.creator_id:
        return []
    others = Asset.objects.filter(creator_id=asset.creator_id).exclude(pk=asset.pk)
    return tiles(others.order_by("-created_at")[:CREATOR_OTHERS])


def near_duplicates(asset: Asset) -> list[Asset]:
    related = Q(duplicate_of_id=asset.pk)
    if asset.duplicate_of_id:
        related |= Q(pk=asset.duplicate_of_id) | Q(duplicate_of_id=asset.duplicate_of_id)
    return tiles(Asset.objects.filter(related).exclude(pk=asset.pk).order_by("pk")[:12])


def more_like_this(asset: Asset) -> list[Asset]:
    """The same "more like this" as the search API (an asset without a vector: none)."""
    hits = search(Asset.objects.exclude(pk=asset.pk), SearchRequest(like=asset.pk, limit=8))
    found = {a.pk: a for a in tiles(Asset.objects.filter(pk__in=[h.asset_id for h in hits]))}
    return [found[h.asset_id] for h in hits if h.asset_id in found]


def score_parts(asset: Asset) -> AssetScore | None:
    return AssetScore.objects.filter(asset=asset).first()


def daily_kpis(asset: Asset, days: int = 30) -> list[dict]:
    """Impressions, clicks, conversions and revenue per day (every source summed)."""
    since = timezone.now().date() - timedelta(days=days)
    return list(
        AssetPerformance.objects.filter(asset=asset, day__gte=since)
        .values("day")
        .annotate(
            impressions=Sum("gallery_impressions"),
            clicks=Sum("clicks"),
            conversions=Sum("conversions"),
            revenue=Sum("revenue"),
        )
        .order_by("day")
    )


# -- review ---------------------------------------------------------------------------


def review_queue():
    """Assets waiting for a decision, oldest first: what the review screen walks."""
    return Asset.objects.filter(
        processing_state=ProcessingState.IN_REVIEW, moderation_state=ModerationState.PENDING
    ).order_by("created_at", "pk")


def next_in_review(after_pk: int | None = None) -> Asset | None:
    queue = review_queue()
    if after_pk:
        queue = queue.exclude(pk=after_pk)
    first = queue.values_list("pk", flat=True).first()
    return asset_detail(first) if first else None


# -- rights ----------------------------------------------------------------------------


RIGHTS_ROW_FIELDS = (
    "asset_id",
    "creator_id",
    "state",
    "message",
    "requested_at",
    "expires_at",
    "asset__permalink",
    "asset__dominant_colors",
    "creator__handle",
)


def rights_requests(state: str, limit: int = 100) -> list[RightsRequest]:
    requests = RightsRequest.objects.filter(state=state).order_by("-requested_at", "-pk")
    return list(
        # Only what a row shows: an asset row carries its caption, search vector and
        # measures, and reading a hundred of them was most of this query's time.
        requests.select_related("asset", "creator")
        .only(*RIGHTS_ROW_FIELDS)
        .prefetch_related(
            Prefetch(
                "asset__renditions",
                queryset=Rendition.objects.order_by("kind", "format", "width"),
            )
        )[:limit]
    )


def rights_counts() -> dict[str, int]:
    rows = RightsRequest.objects.values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def expiring_soon(limit: int = 50) -> list[Asset]:
    now = timezone.now()
    soon = Asset.objects.filter(
        rights_state=RightsState.GRANTED,
        rights_expires_at__gt=now,
        rights_expires_at__lte=now + timedelta(days=EXPIRY_WINDOW_DAYS),
    ).order_by("rights_expires_at", "pk")
    return tiles(soon[:limit])


# -- imports and tasks -------------------------------------------------------------------


def import_runs(limit: int = 20) -> list[ImportRun]:
    return list(
        ImportRun.objects.order_by("-started_at").annotate(
            item_count=Count("items"),
            failed_count=Count("items", filter=Q(items__outcome="failed")),
        )[:limit]
    )


def import_failures(run: ImportRun, limit: int = 200) -> list[ImportItem]:
    return list(run.items.filter(outcome="failed").order_by("key")[:limit])


def processing_progress(ids: list[int]) -> dict:
    """How far the pipeline is with these assets: the bar the imports screen polls."""
    rows = dict(
        Asset.objects.filter(pk__in=ids)
        .values("processing_state")
        .annotate(n=Count("pk"))
        .values_list("processing_state", "n")
    )
    total = sum(rows.values())
    finished = rows.get(ProcessingState.IN_REVIEW, 0) + rows.get(ProcessingState.FAILED, 0)
    return {
        "total": total,
        "finished": finished,
        "failed": rows.get(ProcessingState.FAILED, 0),
        "percent": 100 if not total else finished * 100 // total,
    }


def failed_assets(ids: list[int] | None = None, limit: int = 50) -> list[Asset]:
    failed = Asset.objects.filter(processing_state=ProcessingState.FAILED)
    if ids is not None:
        failed = failed.filter(pk__in=ids)
    return list(failed.order_by("-updated_at", "-pk")[:limit])


def pipeline_backlog() -> dict:
    rows = dict(
        Asset.objects.filter(
            processing_state__in=[ProcessingState.RECEIVED, ProcessingState.PROCESSING]
        )
        .values("processing_state")
        .annotate(n=Count("pk"))
        .values_list("processing_state", "n")
    )
    return {"received": rows.get("received", 0), "processing": rows.get("processing", 0)}
