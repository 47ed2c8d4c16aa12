"""The rights inbox: every request by where its conversation stands, the longest
waiting first, filtered by platform and language; the by-hand ones with their
message to copy; send, remind or cancel a selection; and the assets whose rights
to request next.

Reads here (bounded, one query per part, rows worked out in Python as the tiles
are); every change through ugc.services.rights_queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext, gettext_lazy, ngettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core import reasons
from ugc import rights_messages, selectors
from ugc.models import (
    OPEN_STAGES,
    Asset,
    Delivery,
    GrantMethod,
    InvalidTransition,
    Platform,
    Rendition,
    RequestStage,
    RightsRequest,
)
from ugc.selectors import RENDITION_FIELDS
from ugc.services import rights_queue
from workspace import actions, pages
from workspace.access import BadInput, can_edit, editor_required, id_list, one_of, reader_required
from workspace.templatetags.workspace import placeholder_color
from workspace.tiles import Image, image, url_pattern

STAGES = (
    RequestStage.QUEUED,
    RequestStage.SENT,
    RequestStage.ANSWERED,
    RequestStage.GRANTED,
    RequestStage.DECLINED,
    RequestStage.EXPIRED,
)
PAGE = 100
NEXT_UP = 8
BULK = {
    "send": (
        rights_queue.send_many,
        ngettext_lazy("Sent %(count)s request", "Sent %(count)s requests", "count"),
    ),
    "remind": (
        rights_queue.remind_many,
        ngettext_lazy("Reminded %(count)s request", "Reminded %(count)s requests", "count"),
    ),
    "cancel": (
        rights_queue.cancel_many,
        ngettext_lazy("Cancelled %(count)s request", "Cancelled %(count)s requests", "count"),
    ),
}
ROW_FIELDS = (
    "asset_id",
    "creator_id",
    "stage",
    "message",
    "language",
    "delivery",
    "delivery_reason",
    "requested_at",
    "sent_at",
    "reminded_at",
    "reply_text",
    "granted_at",
    "granted_via",
    "answered_at",
    "updated_at",
    "last_error",
    "last_error_message",
    "asset__permalink",
    "asset__source_platform",
    "asset__dominant_colors",
    "creator__handle",
)


@dataclass(frozen=True)
class Filters:
    stage: str
    platform: str  # "" = every platform
    language: str  # "" = every language

    def href(self, stage: str) -> str:
        """The inbox's address for another tab under the same filters."""
        wanted = {"stage": stage, "platform": self.platform, "language": self.language}
        return "?" + urlencode({name: value for name, value in wanted.items() if value})

    def query(self) -> dict:
        """The filters as the lookups on RightsRequest (stage apart)."""
        lookups = {}
        if self.platform:
            lookups["asset__source_platform"] = self.platform
        if self.language:
            lookups["language"] = self.language
        return lookups


def filters(data) -> Filters:
    stage = data.get("stage") or RequestStage.QUEUED
    if stage not in STAGES:
        raise BadInput("stage", one_of(STAGES))
    platform = data.get("platform") or ""
    if platform and platform not in Platform.values:
        raise BadInput("platform", one_of(Platform.values))
    language = data.get("language") or ""
    if language and language not in rights_messages.languages():
        raise BadInput("language", one_of(rights_messages.languages()))
    return Filters(stage, platform, language)


@dataclass(frozen=True)
class InboxRow:
    pk: int
    asset_id: int
    asset_href: str
    image: Image | None
    colour: str
    handle: str  # "" when the creator is unknown
    platform: str
    language: str
    waiting: str  # "waiting 3 days"
    by_hand: bool
    path: str  # "Sent from the product" or "To send by hand"
    path_reason: str
    message: str  # what to post now: the request, or its reminder once reminded
    is_reminder: bool
    permalink: str
    reply_text: str
    last_error: str
    to_post: bool  # queued, by hand or with no account to send it: the coordinator posts it
    can_remind: bool
    is_open: bool
    ended: str  # closed: when it was granted, declined, cancelled... ("3 days ago")
    granted_via: str  # how, for a grant ("Signed form")


WAITED = (
    (86400, ngettext_lazy("waiting %(count)s day", "waiting %(count)s days", "count")),
    (3600, ngettext_lazy("waiting %(count)s hour", "waiting %(count)s hours", "count")),
    (60, ngettext_lazy("waiting %(count)s minute", "waiting %(count)s minutes", "count")),
)


def waited(since, now) -> str:
    seconds = max(0, (now - since).total_seconds())
    for size, words in WAITED:
        if seconds >= size:
            count = int(seconds // size)
            return words % {"count": count}
    return gettext("waiting less than a minute")


def ago(since, now) -> str:
    if (now - since).total_seconds() < 60:
        return gettext("just now")
    return gettext("%(time)s ago") % {"time": timesince(since, now, depth=1)}


def inbox_rows(chosen: Filters, limit: int = PAGE) -> list[InboxRow]:
    # Open tabs: the longest waiting first. Closed ones: the latest first.
    order = ("requested_at", "id") if chosen.stage in OPEN_STAGES else ("-requested_at", "-id")
    requests = (
        RightsRequest.objects.filter(stage=chosen.stage, **chosen.query())
        .order_by(*order)
        .select_related("asset", "creator")
        .only(*ROW_FIELDS)
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
    now = timezone.now()
    platforms = dict(Platform.choices)
    unconnected = rights_queue.unconnected_keys()
    return [_row(request, asset_href, now, platforms, unconnected) for request in requests]


NO_ACCOUNT = gettext_lazy(
    "no %(platform)s account is connected: connect one under Sources to send it from the "
    "product, or post it by hand"
)


def _row(
    request: RightsRequest, asset_href: str, now, platforms: dict, unconnected: set
) -> InboxRow:
    asset = request.asset
    platform = platforms.get(asset.source_platform, asset.source_platform)
    by_hand = request.delivery == Delivery.BY_HAND
    queued = request.stage == RequestStage.QUEUED
    reminder = queued and request.reminded_at is not None
    is_open = request.stage in OPEN_STAGES
    # Sent from the product, but nothing can send it yet: said, and postable by hand.
    no_account = queued and not by_hand and request.account_key in unconnected
    return InboxRow(
        pk=request.pk,
        asset_id=request.asset_id,
        asset_href=asset_href.format(request.asset_id),
        image=image(asset),
        colour=placeholder_color(asset),
        handle=request.creator.handle if request.creator else "",
        platform=platform,
        language=request.language,
        waiting=waited(request.requested_at, now),
        by_hand=by_hand,
        path=Delivery(request.delivery).label,
        path_reason=NO_ACCOUNT % {"platform": platform} if no_account else request.delivery_reason,
        message=rights_queue.reminder_text(request) if reminder else request.message,
        is_reminder=reminder,
        permalink=asset.permalink,
        reply_text=request.reply_text,
        last_error=reasons.shown(request.last_error_message, request.last_error),
        to_post=queued and (by_hand or no_account),
        can_remind=request.stage == RequestStage.SENT and request.reminded_at is None,
        is_open=is_open,
        ended="" if is_open else ago(_ended_at(request), now),
        granted_via=GrantMethod(request.granted_via).label if request.granted_via else "",
    )


def _ended_at(request: RightsRequest):
    if request.stage == RequestStage.GRANTED and request.granted_at:
        return request.granted_at
    return request.answered_at or request.updated_at


def stage_counts(chosen: Filters) -> dict[str, int]:
    rows = (
        RightsRequest.objects.filter(stage__in=STAGES, **chosen.query())
        .values("stage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["stage"]: row["n"] for row in rows}


def to_request_next(limit: int = NEXT_UP) -> list[Asset]:
    """The recommendations' requestable assets not asked yet, best score first."""
    ids = list(selectors.rights_to_request_next(limit))
    shown = ("id", "source_platform", "creator__handle", "score__score")
    found = Asset.objects.filter(pk__in=ids).select_related("creator", "score").only(*shown)
    by_id = {asset.pk: asset for asset in found}
    return [by_id[pk] for pk in ids if pk in by_id]


def _inbox_context(request, chosen: Filters, message: str = "") -> dict:
    counts = stage_counts(chosen)
    return {
        "can_edit": can_edit(request.user),
        "filters": chosen,
        "open_stage": chosen.stage in OPEN_STAGES,
        # The stage inside a sentence ("No queued requests."), as its tab names it.
        "stage_words": str(RequestStage(chosen.stage).label).lower(),
        "tabs": [
            (stage, RequestStage(stage).label, counts.get(stage, 0), chosen.href(stage))
            for stage in STAGES
        ],
        "rows": inbox_rows(chosen),
        "platforms": Platform.choices,
        "languages": list(rights_messages.languages()),
        "grant_methods": GrantMethod.choices,
        "message": message,
    }


def _inbox(request, chosen: Filters, message: str = ""):
    return render(request, "workspace/_inbox.html", _inbox_context(request, chosen, message))


@require_GET
@reader_required
def rights_view(request):
    context = _inbox_context(request, filters(request.GET))
    context.update(next_up=to_request_next(), expiring=pages.expiring_soon())
    return render(request, "workspace/rights.html", context)


@require_POST
@editor_required
def rights_bulk_view(request):
    action = request.POST.get("action", "")
    if action not in BULK:
        raise BadInput("action", one_of(BULK))
    ids = id_list(request.POST, noun="request")
    act, done = BULK[action]
    outcome = act(ids, actor=request.user)
    return _inbox(request, filters(request.POST), actions.summary(outcome, done, "request"))


@require_POST
@editor_required
def rights_sent_view(request, pk: int):
    found = get_object_or_404(RightsRequest, pk=pk)
    if not (found.stage == RequestStage.QUEUED and found.delivery == Delivery.BY_HAND):
        message = gettext("request %(pk)s is not waiting to be posted by hand") % {"pk": pk}
        raise BadInput("request", message, 409)
    rights_queue.mark_sent(found, actor=request.user)
    message = gettext("Request %(pk)s marked sent") % {"pk": pk}
    return _inbox(request, filters(request.POST), message)


@require_POST
@editor_required
def rights_request_view(request, pk: int):
    """One click from "to request next": the drafted message, queued."""
    asset = get_object_or_404(Asset.objects.select_related("creator"), pk=pk)
    try:
        queued = rights_queue.queue_request(asset, actor=request.user)
    except InvalidTransition as exc:
        raise BadInput("state", exc.messages[0], status=409) from exc
    path = Delivery(queued.delivery).label.lower()
    message = gettext("Requested asset %(pk)s (%(path)s)") % {"pk": pk, "path": path}
    return _inbox(request, filters(request.POST), message)
