"""Reads for the asset, review, rights and imports screens (bounded, no N+1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from analytics.kpis import Period
from analytics.selectors import main_currency
from core import reasons
from ugc import selectors
from ugc.models import (
    TRANSITIONS,
    Asset,
    AssetPerformance,
    AssetScore,
    AuditEntry,
    Delivery,
    ImportItem,
    ImportRun,
    LicenceEntry,
    ModerationState,
    ProcessingState,
    RightsRequest,
    RightsState,
)
from ugc.scoring.parts import PARTS
from ugc.selectors.search import SearchRequest, search
from ugc.services import licences, rights_queue
from ugc.services.scoring import asset_weights, half_life_days
from workspace.templatetags.workspace import money
from workspace.tiles import Tile, tiles_by_id

CREATOR_OTHERS = 12
MORE_LIKE_THIS = 8
EXPIRY_WINDOW_DAYS = 30


def asset_detail(pk: int) -> Asset:
    asset = (
        selectors.asset_library()
        .prefetch_related(
            Prefetch(
                "audit_trail",
                queryset=AuditEntry.objects.select_related("actor").order_by("-at", "-pk"),
                to_attr="history",
            ),
            Prefetch(
                "rights_requests",
                queryset=RightsRequest.objects.order_by("-requested_at"),
                to_attr="rights_history",
            ),
        )
        .select_related("duplicate_of", "rejection_reason", "moderated_by")
        .get(pk=pk)
    )
    # asset_library() has read the accepted tags with their products: sorted here, not
    # read again (the database's collation is C, so this is its order too).
    asset.tagged_products = sorted(asset.product_tags.all(), key=lambda t: (t.product.sku, t.pk))
    return asset


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


PART_TITLES = {
    "quality": _("Quality"),
    "relevance": _("Product relevance"),
    "performance": _("Sales performance"),
    "social": _("Social engagement"),
    "freshness": _("Freshness"),
}
PART_MEANINGS = {
    "quality": _(
        "How good the picture is: resolution, sharpness, exposure, contrast and "
        "colour, as the pipeline measured them (the quality score)."
    ),
    "relevance": _(
        "How surely it shows a product: 1 for a product a person tagged, a "
        "suggestion's confidence, 0.6 for a product line alone, 0 untagged."
    ),
    "performance": _(
        "Revenue per impression against the library's average, taken "
        "cautiously: a few lucky clicks count for little, proven sales for a lot. 0.5 is "
        "as good as the average, with plenty of evidence."
    ),
    "social": _(
        "Likes, comments and shares per view on its platform against that "
        "platform's median: 0.5 is the median."
    ),
    "freshness": _("A small boost for new content that halves every %(half_life)g days."),
}
NO_DATA = {
    "quality": _("Not measured yet: left out, its weight goes to the other parts."),
    "performance": _(
        "No revenue recorded in the library yet: left out, its weight goes to the other parts."
    ),
    "social": _(
        "No engagement data (no export, no counts with the post): left out, its "
        "weight goes to the other parts."
    ),
}
NEUTRAL = 0.5  # the middle of every part: above it lifts the asset, below holds it back


@dataclass(frozen=True)
class PartLine:
    name: str
    title: str
    value: float | None  # None: no data
    weight: float  # in this asset's score (0 when there is no data)
    contribution: float  # weight x value
    meaning: str
    evidence: str


@dataclass(frozen=True)
class ScoreExplanation:
    score: AssetScore
    parts: list[PartLine]
    lifts: list[PartLine]  # the parts that lift it most, strongest first
    holds: list[PartLine]  # the parts that hold it back most
    rank: int
    scored: int


def score_explanation(asset: Asset, score: AssetScore, currency: str) -> ScoreExplanation:
    """Each part's weight, value and meaning, and why the asset ranks where it does."""
    weights = asset_weights(score)
    lines = [
        _part_line(name, getattr(score, name), weights[name], asset, score, currency)
        for name in PARTS
    ]
    pull = {line.name: line.weight * (line.value - NEUTRAL) for line in lines if line.weight}
    ordered = sorted(pull, key=pull.get, reverse=True)
    by_name = {line.name: line for line in lines}
    lifts = [by_name[name] for name in ordered if pull[name] > 0][:2]
    holds = [by_name[name] for name in reversed(ordered) if pull[name] < 0][:2]
    rank, scored = score_rank(score.score)
    return ScoreExplanation(score, lines, lifts, holds, rank, scored)


def _part_line(name, value, weight, asset, score, currency) -> PartLine:
    meaning = PART_MEANINGS[name] % {"half_life": half_life_days()}
    evidence = str(NO_DATA[name]) if value is None else _evidence(name, asset, score, currency)
    contribution = weight * value if value is not None else 0.0
    title = str(PART_TITLES[name])
    return PartLine(name, title, value, weight, contribution, meaning, evidence)


def _evidence(name: str, asset: Asset, score: AssetScore, currency: str) -> str:
    if name == "quality":
        return gettext("Quality score %(value)s.") % {"value": number_format(score.quality, 2)}
    if name == "relevance":
        tagged = len(getattr(asset, "tagged_products", []))
        if tagged:
            return ngettext("%(count)s product tagged.", "%(count)s products tagged.", tagged) % {
                "count": tagged
            }
        if score.relevance == 0:
            return gettext("No product or product line tagged: tagging one lifts it.")
        return gettext("A product line or a suggested product only.")
    if name == "performance":
        figures = {
            "impressions": number_format(score.impressions, force_grouping=True),
            "clicks": number_format(score.clicks, force_grouping=True),
            "revenue": money(score.revenue, currency),
        }
        return (
            gettext(
                "%(impressions)s impressions, %(clicks)s clicks, %(revenue)s attributed revenue."
            )
            % figures
        )
    if name == "social":
        rate = number_format(score.engagement_rate * 100, 2)
        return gettext("Engagement rate %(rate)s %%.") % {"rate": rate}
    posted = asset.posted_at or asset.created_at
    return gettext("Posted %(day)s.") % {"day": date_format(timezone.localtime(posted))}


def score_rank(value: float) -> tuple[int, int]:
    """Where a score stands: its place (1 = best) and how many assets are scored."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE score > %s), count(*) FROM ugc_assetscore", [value]
        )
        above, total = cursor.fetchone()
    return above + 1, total


def revenue_currency() -> str:
    """The currency the asset's revenue is in: most of the last 30 days' orders', else
    the shop's default."""
    today = timezone.now().date()
    return main_currency(Period(today - timedelta(days=29), today)) or (
        settings.COMMERCE_DEFAULT_CURRENCY
    )


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


# -- history in words ---------------------------------------------------------------

ACTION_WORDS = {
    "create": _("Added to the library"),
    "update": _("Edited"),
    "tag_product": _("Tagged a product"),
    "untag_product": _("Removed a product tag"),
    "tag_product_line": _("Tagged a product line"),
    "accept_suggestion": _("Accepted a suggested tag"),
    "dismiss_suggestion": _("Dismissed a suggested tag"),
    "safety_flag": _("Flagged for review by the brand-safety screen"),
    "near_duplicate": _("Found to be a near-duplicate"),
    "attach_original": _("Original file attached"),
    "undo_moderation": _("Undid the last decision"),
    "moderation_state:approved": _("Approved"),
    "moderation_state:rejected": _("Rejected"),
    "moderation_state:pending": _("Sent back to review"),
    "processing_state:processing": _("Processing started"),
    "processing_state:in_review": _("Processed"),
    "processing_state:failed": _("Processing failed"),
    "rights_state:requested": _("Rights requested"),
    "rights_state:granted": _("Rights granted"),
    "rights_state:declined": _("Rights declined"),
    "rights_state:revoked": _("Rights revoked"),
    "rights_state:expired": _("Rights expired"),
    "rights_state:not_requested": _("Rights request withdrawn"),
}


@dataclass(frozen=True)
class HistoryLine:
    at: object
    what: str
    who: str
    note: str


def history(asset: Asset) -> list[HistoryLine]:
    """The asset's audit trail as sentences, each with who acted (a person by their
    name, else the system: an import, the pipeline, an auto-rule)."""
    return [_history_line(entry) for entry in asset.history]


def _history_line(entry: AuditEntry) -> HistoryLine:
    what = str(ACTION_WORDS.get(entry.action) or entry.action.replace("_", " ").replace(":", ": "))
    if entry.action == "update" and entry.changes:
        what += " " + ", ".join(name.replace("_", " ") for name in sorted(entry.changes))
    who = (
        (entry.actor.get_full_name() or entry.actor.get_username())
        if entry.actor
        else gettext("system")
    )
    return HistoryLine(entry.at, what, who, _note(entry))


def _note(entry: AuditEntry) -> str:
    """The entry's note; a failure's reason in the reader's language (core/reasons.py)."""
    moved = (entry.changes or {}).get("failure_reason_message")
    if isinstance(moved, list) and len(moved) == 2:
        return reasons.shown(moved[1], entry.note)
    return entry.note


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


@dataclass(frozen=True)
class RequestDraft:
    message: str
    language: str
    path: str  # "Sent from the product" or "To send by hand"
    why: str


@dataclass(frozen=True)
class LicencePanel:
    current: LicenceEntry | None  # the grant or amendment in force
    entries: list[LicenceEntry]  # the asset's ledger, oldest first
    chain: licences.ChainReport  # its entries checked against their hashes and links


def request_draft(asset: Asset) -> RequestDraft | None:
    """The request as it would go out, shown before it is queued; None when the
    asset's rights cannot be requested now."""
    if RightsState.REQUESTED not in TRANSITIONS["rights_state"].get(asset.rights_state, ()):
        return None
    message, language, _ = rights_queue.draft(asset)
    delivery, why, _ = rights_queue.delivery_path(asset)
    return RequestDraft(message, language, Delivery(delivery).label, why)


def licence_panel(asset: Asset) -> LicencePanel:
    return LicencePanel(
        current=licences.current_licence(asset),
        entries=licences.history(asset),
        chain=licences.verify_asset(asset),
    )


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
