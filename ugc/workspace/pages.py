"""Reads for the asset, review, rights and imports screens (bounded, no N+1)."""

from __future__ import annotations

from dataclasses import dataclass
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
    Rendition,
    RightsRequest,
    RightsState,
)
from ugc.search.query import SearchRequest, search
from ugc.templatetags.workspace import placeholder_color
from ugc.workspace.tiles import (
    RENDITION_FIELDS,
    Image,
    Tile,
    image,
    tile_assets,
    tiles_by_id,
    url_pattern,
)

CREATOR_OTHERS = 12
MORE_LIKE_THIS = 8
EXPIRY_WINDOW_DAYS = 30
SCORE_PARTS = ("quality", "relevance", "performance", "social", "freshness", "diversity")


def asset_detail(pk: int) -> Asset:
    asset = (
        selectors.asset_library()
        .prefetch_related(
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
    # asset_library() has read the accepted tags with their products: sorted here, not
    # read again (the database's collation is C, so this is its order too).
    asset.tagged_products = sorted(asset.product_tags.all(), key=lambda t: (t.product.sku, t.pk))
    return asset


def tiles(queryset) -> list[Asset]:
    """Assets with what a thumbnail needs (creator, renditions; few columns), in two
    queries: the dashboard's rankings draw theirs from these (analytics.selectors)."""
    return list(tile_assets(queryset))


@dataclass(frozen=True)
class Related:
    others: list[Tile]  # the creator's other assets, the latest first
    duplicates: list[Tile]
    similar: list[Tile]  # "more like this"


def related(asset: Asset) -> Related:
    """The asset page's three grids: each one's ids first, then all their tiles at once
    (two queries, not two per grid)."""
    others, duplicates = _creator_others(asset), _near_duplicates(asset)
    similar = _more_like_this(asset)
    found = tiles_by_id([*others, *duplicates, *similar])
    return Related(
        *([found[pk] for pk in ids if pk in found] for ids in (others, duplicates, similar))
    )


def _creator_others(asset: Asset) -> list[int]:
    if not asset.creator_id:
        return []
    others = Asset.objects.filter(creator_id=asset.creator_id).exclude(pk=asset.pk)
    return list(others.order_by("-created_at").values_list("pk", flat=True)[:CREATOR_OTHERS])


def _near_duplicates(asset: Asset) -> list[int]:
    related = Q(duplicate_of_id=asset.pk)
    if asset.duplicate_of_id:
        related |= Q(pk=asset.duplicate_of_id) | Q(duplicate_of_id=asset.duplicate_of_id)
    found = Asset.objects.filter(related).exclude(pk=asset.pk).order_by("pk")
    return list(found.values_list("pk", flat=True)[:12])


def _more_like_this(asset: Asset) -> list[int]:
    """The same "more like this" as the search API (an asset without a vector: none)."""
    # The whole library, unfiltered: search leaves out the asset and its near-duplicates
    # itself, and a filter (even "not this one") would send it to an exact scan of
    # every vector instead of the index.
    hits = search(Asset.objects.all(), SearchRequest(like=asset.pk, limit=MORE_LIKE_THIS))
    return [h.asset_id for h in hits]


def score_parts(asset: Asset) -> AssetScore | None:
    # Read with the asset (asset_library() selects its score): no query of its own.
    try:
        return asset.score
    except AssetScore.DoesNotExist:
        return None


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


@dataclass(frozen=True)
class RightsRow:
    """One request as its row shows it, worked out in Python: a hundred rows through
    template filters and two URL reversals each cost more than the query."""

    pk: int
    asset_id: int
    asset_href: str
    answer_url: str
    image: Image | None
    colour: str
    handle: str  # "" when the creator is unknown
    requested_on: str
    expires_on: str
    message: str
    permalink: str


def rights_requests(state: str, limit: int = 100) -> list[RightsRow]:
    requests = RightsRequest.objects.filter(state=state).order_by("-requested_at", "-pk")
    found = (
        # Only what a row shows: an asset row carries its caption, search vector and
        # measures, and reading a hundred of them was most of this query's time.
        requests.select_related("asset", "creator")
        .only(*RIGHTS_ROW_FIELDS)
        .prefetch_related(
            Prefetch(
                "asset__renditions",
                queryset=Rendition.objects.only(*RENDITION_FIELDS).order_by(
                    "kind", "format", "width"
                ),
            )
        )[:limit]
    )
    asset_href = url_pattern("workspace:asset")
    answer_url = url_pattern("workspace:rights-answer")
    return [_rights_row(request, asset_href, answer_url) for request in found]


def _rights_row(request: RightsRequest, asset_href: str, answer_url: str) -> RightsRow:
    return RightsRow(
        pk=request.pk,
        asset_id=request.asset_id,
        asset_href=asset_href.format(request.asset_id),
        answer_url=answer_url.format(request.asset_id),
        image=image(request.asset),
        colour=placeholder_color(request.asset),
        handle=request.creator.handle if request.creator else "",
        requested_on=_day(request.requested_at),
        expires_on=_day(request.expires_at),
        message=request.message,
        permalink=request.asset.permalink,
    )


def _day(moment) -> str:
    # As the template's date:"Y-m-d": the day in the current time zone.
    return timezone.localtime(moment).strftime("%Y-%m-%d") if moment else ""


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
    # The list shows the id, the handle and the date: no thumbnail, no wide row.
    shown = ("id", "rights_expires_at", "creator__handle")
    return list(soon.select_related("creator").only(*shown)[:limit])


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
