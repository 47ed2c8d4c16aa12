"""Rights requests on their way to creators: which path each takes, the queue that
sends them at a pace per brand account, reminders, expiry, and the replies.

Two paths. "reply": the platform's API lets the brand answer the post (an
Instagram post that @mentions the brand, through the mentions endpoint; a
YouTube video, through commentThreads.insert with the brand's Google account).
"by_hand": it does not (Instagram hashtag and tagged media, TikTok); the inbox
shows the message to copy and a link to the post, and the coordinator marks it
sent.

Sending goes through `send_request(request, sender)`: `sender_for(account_key)`
is the one place that turns an account key into the brand's connected account
(platforms.models.ConnectedAccount): its client, its token, its platform id.
Replies come back through the comments webhook (`handle_comment_event`) and by
polling each open request's thread (`poll_replies`); both feed `handle_reply`.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from core import reasons
from core.reasons import Reason
from platforms.errors import (
    MediaGone,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    TokenInvalid,
)
from platforms.models import AccountPlatform, AccountStatus, ConnectedAccount
from platforms.services.accounts import needs_reconnect
from platforms.services.clients import client_for
from ugc import rights_messages, rights_replies
from ugc.captions import normalise_handle
from ugc.models import (
    OPEN_STAGES,
    Asset,
    Delivery,
    InvalidTransition,
    Platform,
    RequestStage,
    RightsRequest,
    RightsState,
    SendingPace,
)
from ugc.services import rights
from ugc.services.assets import acting_user, transition
from ugc.services.bulk import BulkResult

logger = logging.getLogger(__name__)

# Graph's "temporarily blocked" (368) and "action blocked as spam" (10, 100 subcode
# 2207051 on media publishing); YouTube answers 403 with these reasons.
SPAM_CODES = {368, 2207051, "commentsDisabled", "forbidden", "spam"}
MAX_ATTEMPTS = 5
# A person's "send now" posts at most this many from one account at once: a burst of
# identical-looking comments is what platforms block as spam.
SEND_NOW_PER_ACCOUNT = 5

NO_REQUEST = "no request for this comment"
REMINDER = {
    "en": "A gentle reminder, {handle}: reply {hashtag} if {brand} may share your post.",
    "fr": "Petit rappel, {handle} : répondez {hashtag} si {brand} peut partager votre post.",
    "de": "Kurze Erinnerung, {handle}: Antworte {hashtag}, wenn {brand} teilen darf.",
    "es": "Un recordatorio, {handle}: responde {hashtag} si {brand} puede compartirlo.",
    "it": "Un promemoria, {handle}: rispondi {hashtag} se {brand} può condividerlo.",
}


@dataclass
class Sender:
    """A brand account ready to post: a platforms client, its token, and the
    platform's id of the account (the Instagram user id; unused for YouTube)."""

    client: Any
    token: str
    account_id: str = ""
    account: ConnectedAccount | None = None


# The connected account that answers for each account key: replying through the
# mentions endpoint needs Instagram API with Facebook Login.
ACCOUNT_PLATFORMS = {
    "instagram": AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN,
    "youtube": AccountPlatform.YOUTUBE,
}


def _connected_accounts():
    """The accounts a request can go out through: active, or paused until reconnected
    (sender_for says so rather than finding none)."""
    return ConnectedAccount.objects.filter(
        status__in=(AccountStatus.ACTIVE, AccountStatus.NEEDS_RECONNECT)
    )


def unconnected_keys() -> set[str]:
    """The account keys with no brand account connected: their requests wait in the
    queue until one is (sender_for), or until the coordinator posts them by hand."""
    connected = _connected_accounts().filter(platform__in=ACCOUNT_PLATFORMS.values())
    platforms = set(connected.values_list("platform", flat=True))
    return {key for key, platform in ACCOUNT_PLATFORMS.items() if platform not in platforms}


class AccountPaused(Exception):
    """The account may not post now: the platform told it to stop for a while
    (`seconds`), or it needs reconnecting (no `seconds`: paused until reconnected)."""

    def __init__(self, why: Reason, seconds: float = 0.0):
        super().__init__(why.english())
        self.why, self.reason, self.seconds = why, why.english(), seconds


def sender_for(account_key: str) -> Sender | None:
    """The brand's connected account behind a key, or None when none is connected.

    Raises AccountPaused when the account is connected but needs reconnecting."""
    platform = ACCOUNT_PLATFORMS.get(account_key)
    # An active account first ("active" sorts before "needs_reconnect").
    account = (
        _connected_accounts().filter(platform=platform).order_by("status", "-updated_at").first()
    )
    if account is None:
        return None
    if not account.active:
        why = gettext_noop("reconnect %(account)s: %(reason)s")
        reason = account.status_reason_message or account.status_reason
        raise AccountPaused(Reason(why, {"account": str(account), "reason": reason}))
    return Sender(
        client_for(account.platform, account.pk), account.access_token, account.external_id, account
    )


# -- the path ----------------------------------------------------------------------------


def brand_handles() -> set[str]:
    """The brand's Instagram handles: the configured one and its connected accounts'."""
    connected = ConnectedAccount.objects.filter(
        platform=ACCOUNT_PLATFORMS["instagram"], status=AccountStatus.ACTIVE
    ).values_list("handle", flat=True)
    return {settings.BRAND_INSTAGRAM_HANDLE} | {normalise_handle(h) for h in connected if h}


def delivery_path(asset: Asset) -> tuple[str, str, str]:
    """(delivery, why, account key) for a request about this asset."""
    if asset.source_platform == Platform.YOUTUBE and asset.platform_id:
        return (
            Delivery.REPLY,
            "YouTube lets the brand's Google account comment on the video",
            "youtube",
        )
    if asset.source_platform == Platform.INSTAGRAM:
        if brand_handles() & set(asset.mentions or []) and asset.platform_id:
            return (
                Delivery.REPLY,
                "the post @mentions the brand: Instagram lets the brand's account reply "
                "through its mentions",
                "instagram",
            )
        return (
            Delivery.BY_HAND,
            "found by hashtag or tag: Instagram's API allows no reply on a post that "
            "does not mention the brand",
            "",
        )
    if asset.source_platform == Platform.TIKTOK:
        return Delivery.BY_HAND, "TikTok's API allows no comments from apps", ""
    return Delivery.BY_HAND, "this platform offers no reply through its API", ""


# -- the message --------------------------------------------------------------------------


def pick_variant(language: str) -> int:
    recent = (
        RightsRequest.objects.filter(language=language, message_variant__isnull=False)
        .order_by("-id")
        .values_list("message_variant", "id")[:50]
    )
    last_used: dict[int, int] = {}
    for variant, pk in recent:
        last_used.setdefault(variant, pk)
    return rights_messages.next_variant(language, last_used)


def _values(asset: Asset) -> dict:
    return {
        "handle": f"@{asset.creator.handle}" if asset.creator_id else "there",
        "brand": settings.BRAND_NAME,
        "hashtag": rights.approval_hashtag(),
        "terms_url": settings.RIGHTS_TERMS_URL,
    }


def draft(asset: Asset) -> tuple[str, str, int]:
    """(message, language, variant) for a request about this asset."""
    language = rights_messages.guess_language(asset.caption, asset.language)
    variant = pick_variant(language)
    return rights_messages.render(language, variant, **_values(asset)), language, variant


# -- queueing -----------------------------------------------------------------------------


def _variant_of(message: str, language: str, asset: Asset) -> int | None:
    """The template variant a message is, word for word; None once a person edited it
    (an edited text takes no part in the rotation)."""
    values = _values(asset)
    for variant in range(len(rights_messages.TEMPLATES[language])):
        if rights_messages.render(language, variant, **values) == message.strip():
            return variant
    return None


@transaction.atomic
def queue_request(asset: Asset, *, actor=None, message: str = "") -> RightsRequest:
    """Ask for the rights: the request waits in the queue (or for the coordinator).
    `message` is the text to send when a person wrote or edited it (the draft of
    `draft()` otherwise)."""
    transition(asset, "rights_state", RightsState.REQUESTED, actor=actor)
    text, language, variant = draft(asset)
    if message.strip():
        text, variant = message.strip(), _variant_of(message, language, asset)
    delivery, why, account_key = delivery_path(asset)
    return RightsRequest.objects.create(
        asset=asset,
        creator=asset.creator,
        message=text,
        language=language,
        message_variant=variant,
        delivery=delivery,
        delivery_reason=why,
        account_key=account_key,
        target_id=asset.platform_id if delivery == Delivery.REPLY else "",
        approval_hashtag=rights.approval_hashtag(),
        terms_url=settings.RIGHTS_TERMS_URL,
        requested_by=acting_user(actor),
        stage=RequestStage.QUEUED,
    )


def queue_many(asset_ids, *, actor=None) -> dict:
    """A bulk request: every asset that can be asked is queued now and sent over
    time by the queue; the others are listed with why."""
    queued, skipped = [], []
    for asset in Asset.objects.filter(pk__in=list(asset_ids)).select_related("creator"):
        try:
            queued.append(queue_request(asset, actor=actor).pk)
        except InvalidTransition as exc:
            skipped.append({"asset": asset.pk, "reason": exc.messages[0]})
    return {"queued": queued, "skipped": skipped}


def _close_request(request: RightsRequest, stage: str, why: Reason, *, actor=None) -> None:
    """Close an open request that did not end in a grant, saying `why` (in English
    and as a message the inbox translates); the asset goes back to 'not requested'
    so it can be asked again."""
    note = why.english()
    with transaction.atomic():
        locked = RightsRequest.objects.select_for_update().get(pk=request.pk)
        if locked.stage not in OPEN_STAGES:
            return
        locked.stage = stage
        locked.state = RightsState.NOT_REQUESTED
        locked.answered_at = timezone.now()
        locked.last_error, locked.last_error_message = note[:500], why.stored()
        locked.save()
        asset = locked.asset
        if asset.rights_state == RightsState.REQUESTED:
            transition(asset, "rights_state", RightsState.NOT_REQUESTED, actor=actor, note=note)
        request.stage = stage


def cancel(request: RightsRequest, *, actor=None) -> None:
    _close_request(request, RequestStage.CANCELLED, CANCELLED, actor=actor)


def mark_sent(request: RightsRequest, *, actor=None, at: datetime | None = None) -> None:
    """The coordinator posted a by-hand request (or its reminder)."""
    at = at or timezone.now()
    updated = RightsRequest.objects.filter(pk=request.pk, stage=RequestStage.QUEUED).update(
        stage=RequestStage.SENT,
        sent_at=request.sent_at or at,
        closes_at=request.closes_at or at + timedelta(days=settings.RIGHTS_REQUEST_EXPIRES_DAYS),
        updated_at=at,
    )
    if updated:
        request.refresh_from_db()


def remind(request: RightsRequest) -> bool:
    """Put a sent, unanswered request back in line for its one reminder."""
    return bool(
        RightsRequest.objects.filter(
            pk=request.pk, stage=RequestStage.SENT, reminded_at__isnull=True
        ).update(stage=RequestStage.QUEUED, reminded_at=timezone.now(), updated_at=timezone.now())
    )


def _each(ids, act: Callable[[RightsRequest], str]) -> BulkResult:
    """Apply `act` to each request; it returns "" when done, else why not."""
    outcome = BulkResult()
    found = RightsRequest.objects.filter(pk__in=list(ids)).select_related("asset__creator")
    by_id = {request.pk: request for request in found}
    for pk in ids:
        request = by_id.get(pk)
        reason = gettext("no such request") if request is None else act(request)
        if reason:
            outcome.skipped.append({"id": pk, "reason": reason})
        else:
            outcome.done.append(pk)
    return outcome


def cancel_many(ids, *, actor=None) -> BulkResult:
    """Withdraw open requests; the assets can be asked again later."""

    def act(request: RightsRequest) -> str:
        if request.stage not in OPEN_STAGES:
            return gettext("already %(stage)s") % {"stage": _stage_words(request)}
        cancel(request, actor=actor)
        return ""

    return _each(ids, act)


def remind_many(ids, *, actor=None) -> BulkResult:
    """The one reminder of each sent, unanswered request, now rather than after
    RIGHTS_REMIND_AFTER_DAYS: back in line (or, by hand, back to copy and post)."""

    def act(request: RightsRequest) -> str:
        if request.stage != RequestStage.SENT:
            stage = {"stage": _stage_words(request)}
            return gettext("only a sent request is reminded (this one is %(stage)s)") % stage
        if request.reminded_at is not None:
            return gettext("already reminded once")
        return "" if remind(request) else gettext("changed meanwhile")

    return _each(ids, act)


def send_many(ids, *, actor=None, now: datetime | None = None) -> BulkResult:
    """Post queued requests now, without waiting for the pace's gap (a person chose
    them), up to SEND_NOW_PER_ACCOUNT per account at once; an account the platform
    paused still waits. By-hand requests are the coordinator's to post."""
    now = now or timezone.now()
    sent_per_account: dict[str, int] = {}

    def act(request: RightsRequest) -> str:
        if request.stage != RequestStage.QUEUED:
            return gettext("not queued (it is %(stage)s)") % {"stage": _stage_words(request)}
        if request.delivery == Delivery.BY_HAND:
            return gettext("to send by hand: copy the message, post it and mark it sent")
        key = request.account_key
        if sent_per_account.get(key, 0) >= SEND_NOW_PER_ACCOUNT:
            most = {"most": SEND_NOW_PER_ACCOUNT}
            return gettext("more than %(most)s at once from one account: left in line") % most
        outcome = _send_one(key, request.pk, now, keep_pace=False)
        if outcome == "sent":
            sent_per_account[key] = sent_per_account.get(key, 0) + 1
            return ""
        if outcome == "failed":
            request.refresh_from_db(fields=["last_error", "stage"])
            refused = gettext("the platform refused it: %(error)s")
            return refused % {"error": request.last_error}
        return _not_sent_words(outcome)

    return _each(ids, act)


# Why send_many left a request in line, by _send_one's outcome (a code the task logs).
NOT_SENT = {
    "paused": _("the account is paused"),
    "waiting": _("waiting for the account's pace"),
    "being sent already": _("being sent already"),
    "no connected account": _("no connected account"),
}


def _not_sent_words(outcome: str) -> str:
    code, _colon, detail = outcome.partition(": ")
    if code not in NOT_SENT:
        return outcome
    words = str(NOT_SENT[code])
    return (
        gettext("%(words)s: %(detail)s") % {"words": words, "detail": detail} if detail else words
    )


def _stage_words(request: RightsRequest) -> str:
    return str(request.get_stage_display()).lower()


def remind_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    due = RightsRequest.objects.filter(
        stage=RequestStage.SENT,
        reminded_at__isnull=True,
        sent_at__lte=now - timedelta(days=settings.RIGHTS_REMIND_AFTER_DAYS),
    )
    return sum(remind(request) for request in due)


def expire_unanswered(now: datetime | None = None) -> int:
    now = now or timezone.now()
    due = RightsRequest.objects.filter(stage__in=OPEN_STAGES, closes_at__lte=now)
    count = 0
    for request in due.select_related("asset"):
        _close_request(request, RequestStage.EXPIRED, NO_ANSWER)
        count += 1
    return count


# -- sending ------------------------------------------------------------------------------


def reminder_text(request: RightsRequest) -> str:
    template = REMINDER.get(request.language, REMINDER["en"])
    return template.format(**_values(request.asset))


def _post(request: RightsRequest, sender: Sender, text: str) -> str:
    """Post the text where the request's path says; returns the comment's id."""
    asset = request.asset
    client = sender.client
    if asset.source_platform == Platform.YOUTUBE:
        if request.comment_id:  # a reminder: a reply in our own thread
            return client.reply(sender.token, request.comment_id, text)["id"]
        return client.comment(sender.token, request.target_id, text)["id"]
    if request.comment_id:  # a reminder: under our own first comment
        return client.reply_to_comment(sender.token, request.comment_id, text)
    return client.reply_to_mention(sender.token, sender.account_id, request.target_id, text)


def send_request(request: RightsRequest, sender: Sender, now: datetime | None = None) -> bool:
    """Post one queued request (or its reminder) through the sender's client.

    Returns whether it went out. Raises AccountPaused when the platform tells the
    account to stop (rate limit, spam block, token to reconnect); the request then
    stays queued. A request the platform refuses for itself is retried a few times,
    then cancelled with the platform's reason."""
    now = now or timezone.now()
    reminder = request.reminded_at is not None
    text = reminder_text(request) if reminder else request.message
    try:
        comment_id = _post(request, sender, text)
    except RateLimited as exc:
        why = Reason(gettext_noop("rate limited: %(error)s"), {"error": str(exc)})
        raise AccountPaused(why, exc.retry_after or _pause()) from exc
    except TokenInvalid as exc:
        if sender.account is not None:
            needs_reconnect(sender.account, _token_refused(exc.message))
        why = gettext_noop("reconnect the account: %(error)s")
        raise AccountPaused(Reason(why, {"error": exc.message})) from exc
    except MediaGone:
        _close_request(request, RequestStage.CANCELLED, POST_GONE)
        return False
    except PlatformError as exc:
        if exc.code in SPAM_CODES:
            why = Reason(gettext_noop("blocked as spam: %(error)s"), {"error": str(exc)})
            raise AccountPaused(why, _pause()) from exc
        _failed(request, exc, give_up=not isinstance(exc, PlatformUnavailable))
        return False
    fields = {
        "stage": RequestStage.SENT,
        "attempts": request.attempts + 1,
        "last_error": "",
        "last_error_message": None,
    }
    if not reminder:
        fields.update(
            comment_id=comment_id,
            sent_at=now,
            closes_at=now + timedelta(days=settings.RIGHTS_REQUEST_EXPIRES_DAYS),
        )
    RightsRequest.objects.filter(pk=request.pk).update(updated_at=now, **fields)
    return True


CANCELLED = Reason(gettext_noop("cancelled"))
NO_ANSWER = Reason(gettext_noop("no answer in time"))
POST_GONE = Reason(gettext_noop("the post is gone"))


def _token_refused(error: str) -> Reason:
    return Reason(gettext_noop("the platform refused the token: %(error)s"), {"error": error})


def _pause() -> float:
    return float(settings.RIGHTS_PAUSE_SECONDS)


def _failed(request: RightsRequest, exc: Exception, *, give_up: bool) -> None:
    attempts = request.attempts + 1
    RightsRequest.objects.filter(pk=request.pk).update(
        # The platform's own words: nothing of ours to translate, no message.
        attempts=attempts,
        last_error=str(exc)[:500],
        last_error_message=None,
        updated_at=timezone.now(),
    )
    request.attempts = attempts
    if give_up and attempts >= MAX_ATTEMPTS:
        why = Reason(gettext_noop("the platform refused: %(error)s"), {"error": str(exc)})
        _close_request(request, RequestStage.CANCELLED, why)


def next_gap() -> timedelta:
    jitter = settings.RIGHTS_SEND_JITTER
    seconds = settings.RIGHTS_SEND_INTERVAL_SECONDS * random.uniform(1 - jitter, 1 + jitter)  # noqa: S311
    return timedelta(seconds=seconds)


def send_due(now: datetime | None = None) -> dict:
    """One step of the queue: each account whose turn has come and that is not paused
    sends its longest-waiting request. Returns what happened per account."""
    now = now or timezone.now()
    keys = (
        RightsRequest.objects.filter(stage=RequestStage.QUEUED, delivery=Delivery.REPLY)
        .order_by()
        .values_list("account_key", flat=True)
        .distinct()
    )
    return {key: _send_next(key, now) for key in list(keys)}


def _send_next(account_key: str, now: datetime) -> str:
    return _send_one(account_key, None, now, keep_pace=True)


def _send_one(account_key: str, pk: int | None, now: datetime, *, keep_pace: bool) -> str:
    """Send the account's longest-waiting queued request (or request `pk`) under the
    account's lock; `keep_pace` waits for the gap since its last post."""
    with transaction.atomic():
        paces = SendingPace.objects.select_for_update()
        pace, _created = paces.get_or_create(account_key=account_key)
        if pace.paused_until and pace.paused_until > now:
            if not pk:
                return "paused"
            return f"paused: {reasons.shown(pace.pause_reason_message, pace.pause_reason)}"
        if keep_pace and pace.next_send_at and pace.next_send_at > now:
            return "waiting"
        queued = RightsRequest.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            stage=RequestStage.QUEUED, delivery=Delivery.REPLY, account_key=account_key
        )
        if pk is not None:
            queued = queued.filter(pk=pk)
        request = queued.select_related("asset__creator").order_by("requested_at", "id").first()
        if request is None:
            return "empty" if pk is None else "being sent already"
        try:
            sender = sender_for(account_key)
            if sender is None:
                return "no connected account"
            sent = send_request(request, sender, now)
        except AccountPaused as paused:
            # Without a stated wait the pause lasts until the account is reconnected.
            pace.paused_until = now + timedelta(seconds=paused.seconds) if paused.seconds else None
            pace.pause_reason = paused.reason[:300]
            pace.pause_reason_message = paused.why.stored()
            pace.save()
            logger.warning("rights requests of %s paused: %s", account_key, paused.reason)
            return "paused"
        pace.next_send_at = now + next_gap()
        pace.paused_until, pace.pause_reason, pace.pause_reason_message = None, "", None
        pace.save()
        return "sent" if sent else "failed"


# -- replies ------------------------------------------------------------------------------


def handle_reply(
    request: RightsRequest,
    *,
    text: str,
    author_handle: str,
    author_id: str = "",
    comment_id: str = "",
    permalink: str = "",
    replied_at: datetime | None = None,
    deleted: bool = False,
) -> str:
    """Decide on one reply under a request and act on it; returns the outcome."""
    request = RightsRequest.objects.select_related("asset__creator").get(pk=request.pk)
    asset = request.asset
    verdict = rights_replies.judge(
        text=text,
        author_handle=author_handle,
        creator_handle=asset.creator.handle if asset.creator_id else "",
        author_id=author_id,
        hashtag=request.approval_hashtag,
        request_open=request.stage in OPEN_STAGES and asset.rights_state == RightsState.REQUESTED,
        deleted=deleted,
    )
    if verdict.outcome == rights_replies.GRANT:
        rights.grant(
            asset,
            via="hashtag_reply",
            reply_text=text,
            at=replied_at,
            proof=_proof(
                request, text, author_handle, author_id, comment_id, permalink, replied_at
            ),
        )
    elif verdict.outcome == rights_replies.DECLINE:
        rights.decline(asset, note=verdict.reason)
    elif verdict.reason == "answered without the approval hashtag":
        RightsRequest.objects.filter(pk=request.pk, stage=RequestStage.SENT).update(
            stage=RequestStage.ANSWERED, reply_text=text[:2000]
        )
    return verdict.outcome if verdict.outcome != rights_replies.IGNORE else verdict.reason


def open_request_of(asset: Asset) -> RightsRequest | None:
    """The asset's request still waiting for an answer, the latest if several."""
    return asset.rights_requests.filter(stage__in=OPEN_STAGES).order_by("-id").first()


def handle_asset_reply(asset: Asset, **reply) -> str:
    """A reply reported for an asset rather than for our comment (an integration, an
    import): judged against the asset's open request, as a webhook's reply is."""
    request = open_request_of(asset)
    if request is None:
        return "no open request"
    return handle_reply(request, **reply)


def _proof(request, text, author_handle, author_id, comment_id, permalink, replied_at) -> dict:
    return {
        "request": {
            "id": request.pk,
            "message": request.message,
            "comment_id": request.comment_id,
            "sent_at": request.sent_at,
            "approval_hashtag": request.approval_hashtag,
            "terms_url": request.terms_url,
        },
        "reply": {
            "text": text,
            "author_id": author_id,
            "author_handle": normalise_handle(author_handle),
            "comment_id": comment_id,
            "permalink": permalink,
            "replied_at": replied_at,
        },
    }


def poll_replies(now: datetime | None = None) -> dict[str, int]:
    """Read the thread of open, sent requests for replies (the webhook may never come:
    Instagram sends no comments webhook for comments on other people's posts).

    Each thread is read at most every RIGHTS_POLL_INTERVAL_SECONDS and at most
    RIGHTS_POLL_BATCH threads a pass, longest unread first, so polling stays far
    below Graph's calls per hour and YouTube's daily units. An account the
    platform stops (token, rate limit, quota) is skipped for the rest of the pass."""
    now = now or timezone.now()
    interval = timedelta(seconds=settings.RIGHTS_POLL_INTERVAL_SECONDS)
    due = (
        RightsRequest.objects.filter(
            stage__in=(RequestStage.SENT, RequestStage.ANSWERED),
            delivery=Delivery.REPLY,
            closes_at__gt=now,
        )
        .exclude(comment_id="")
        .filter(Q(polled_at__isnull=True) | Q(polled_at__lte=now - interval))
        .order_by(F("polled_at").asc(nulls_first=True), "id")
    )
    outcomes: Counter = Counter()
    senders: dict[str, Sender | None] = {}
    for request in list(due[: settings.RIGHTS_POLL_BATCH]):
        key = request.account_key
        if key not in senders:
            senders[key] = _sender_or_none(key)
        if senders[key] is None:
            outcomes["account unavailable"] += 1
            continue
        RightsRequest.objects.filter(pk=request.pk).update(polled_at=now)
        try:
            replies = _thread_replies(request, senders[key])
        except (TokenInvalid, RateLimited) as exc:
            if isinstance(exc, TokenInvalid) and senders[key].account is not None:
                needs_reconnect(senders[key].account, _token_refused(str(exc)))
            senders[key] = None
            outcomes["account unavailable"] += 1
            continue
        except PlatformError as exc:
            RightsRequest.objects.filter(pk=request.pk).update(
                last_error=str(exc)[:500], last_error_message=None
            )
            outcomes["failed"] += 1
            continue
        for reply in replies:
            outcome = handle_reply(request, **reply)
            outcomes[outcome] += 1
            if outcome in (rights_replies.GRANT, rights_replies.DECLINE):
                break
    return dict(outcomes)


def _sender_or_none(account_key: str) -> Sender | None:
    try:
        return sender_for(account_key)
    except AccountPaused:
        return None


def _thread_replies(request: RightsRequest, sender: Sender) -> list[dict]:
    """The replies under the request's comment, oldest first, as handle_reply takes them."""
    if request.asset.source_platform == Platform.YOUTUBE:
        return [
            _reply_fields(
                item["snippet"].get("textOriginal"),
                item["snippet"].get("authorDisplayName"),
                (item["snippet"].get("authorChannelId") or {}).get("value"),
                item.get("id"),
                item["snippet"].get("publishedAt"),
            )
            for item in sender.client.replies(sender.token, request.comment_id)
            if isinstance(item.get("snippet"), dict)
        ]
    return [
        _reply_fields(
            item.get("text"),
            item.get("username") or (item.get("from") or {}).get("username"),
            (item.get("from") or {}).get("id"),
            item.get("id"),
            item.get("timestamp"),
        )
        for item in sender.client.comment_replies(sender.token, request.comment_id)
    ]


def _reply_fields(text, handle, author_id, comment_id, timestamp) -> dict:
    return {
        "text": str(text or ""),
        "author_handle": str(handle or ""),
        "author_id": str(author_id or ""),
        "comment_id": str(comment_id or ""),
        "replied_at": parse_datetime(str(timestamp or "")) if timestamp else None,
    }


def handle_comment_event(payload: dict) -> list[str]:
    """The comments webhook (Instagram "comments"/"mentions" fields, already verified by
    platforms.webhooks): each reply under one of our requests' comments is judged."""
    outcomes = []
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            parent = str(value.get("parent_id") or "")
            if not parent:
                continue
            request = RightsRequest.objects.filter(comment_id=parent).order_by("-id").first()
            if request is None:
                outcomes.append(NO_REQUEST)
                continue
            author = value.get("from") or {}
            outcomes.append(
                handle_reply(
                    request,
                    text=str(value.get("text") or ""),
                    author_handle=str(author.get("username") or ""),
                    author_id=str(author.get("id") or ""),
                    comment_id=str(value.get("id") or ""),
                    deleted=value.get("verb") == "remove",
                )
            )
    return outcomes
