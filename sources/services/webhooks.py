"""Instagram's webhooks: stored as received (raw body, unique by its hash) before the
answer, processed in a task. Mentions fetch the mentioned media (or the comment's
media) and ingest it into the account's mentions source; comments answering one of
the brand's rights requests go to the rights queue, which judges them."""

from __future__ import annotations

import hashlib
import json
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.effects import enqueue_after_commit
from core.reasons import Reason
from platforms.errors import MediaGone, PlatformError, TokenInvalid
from platforms.models import INSTAGRAM_PLATFORMS, ConnectedAccount
from platforms.services.accounts import needs_reconnect, token_refused
from sources.models import (
    DeliveryStatus,
    RunStatus,
    Source,
    SourceKind,
    SourceRun,
    WebhookDelivery,
)
from sources.services import mapping
from ugc.services import rights_queue

logger = logging.getLogger(__name__)


def receive(body: bytes) -> tuple[WebhookDelivery, bool]:
    """Store the delivery (once: the same body again changes nothing); True when new."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                body_sha256=digest, body=body.decode("utf-8", errors="replace")
            )
            from sources.tasks import process_webhook

            enqueue_after_commit(process_webhook, delivery.pk)
    except IntegrityError:
        return WebhookDelivery.objects.get(body_sha256=digest), False
    return delivery, True


def _done(delivery: WebhookDelivery, status: str, reason: str = "") -> str:
    delivery.status, delivery.reason = status, reason[:1000]
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["status", "reason", "processed_at"])
    return status


def process(delivery_id: int) -> str:
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.RECEIVED:
        return "gone" if delivery is None else delivery.status
    try:
        payload = json.loads(delivery.body)
    except ValueError:
        return _done(delivery, DeliveryStatus.IGNORED, "the body is not JSON")
    if not isinstance(payload, dict) or payload.get("object") != "instagram":
        kind = payload.get("object") if isinstance(payload, dict) else type(payload).__name__
        return _done(delivery, DeliveryStatus.IGNORED, f"unknown object {kind!r}")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        return _done(delivery, DeliveryStatus.IGNORED, "no entry list")
    problems, handled = [], 0
    for entry in entries:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            try:
                handled += _change(str(entry.get("id", "")), change)
            except _Skip as exc:
                problems.append(str(exc))
    if problems and not handled:
        ignored = all(p.startswith("ignored") for p in problems)
        status = DeliveryStatus.IGNORED if ignored else DeliveryStatus.FAILED
        return _done(delivery, status, "; ".join(problems))
    return _done(delivery, DeliveryStatus.PROCESSED, "; ".join(problems))


class _Skip(Exception):
    pass


def _change(ig_user_id: str, change) -> int:
    field = change.get("field") if isinstance(change, dict) else None
    if field == "comments":
        return _reply(ig_user_id, change)
    if field != "mentions":
        raise _Skip(f"ignored: field {field!r} is not one we collect")
    value = change.get("value") if isinstance(change.get("value"), dict) else {}
    account = ConnectedAccount.objects.filter(
        platform__in=INSTAGRAM_PLATFORMS, external_id=ig_user_id
    ).first()
    if account is None:
        raise _Skip(f"ignored: no connected Instagram account {ig_user_id}")
    source = Source.objects.filter(account=account, kind=SourceKind.INSTAGRAM_MENTIONS).first()
    if source is None:
        raise _Skip(f"ignored: {account} has no mentions source")
    if source.paused or not account.active:
        raise _Skip(f"ignored: the mentions source of {account} is paused")
    from sources.services.collect import Collector, Listing, finish

    run = SourceRun.objects.create(source=source, trigger="webhook")
    collector = Collector(source, run)
    why = None
    try:
        media = _mentioned_media(collector, value)
        collector.ingest_page([media], Listing("mentions", lambda c: iter(()), mapping.instagram))
    except TokenInvalid as exc:
        needs_reconnect(account, token_refused(exc))
        why = NEEDS_RECONNECTING
    except MediaGone:
        why = MENTION_GONE
    except PlatformError as exc:
        why = str(exc)  # the platform's own words: nothing of ours to translate
    finish(run, RunStatus.FAILED if why else RunStatus.DONE, why)
    if why:
        raise _Skip(run.error)
    return 1


NEEDS_RECONNECTING = Reason(gettext_noop("the account needs reconnecting"))
MENTION_GONE = Reason(gettext_noop("the mentioned post was deleted before we fetched it"))


def _reply(ig_user_id: str, change: dict) -> int:
    """A comment under one of our comments: a reply to a rights request, perhaps."""
    event = {"entry": [{"id": ig_user_id, "changes": [change]}]}
    outcomes = rights_queue.handle_comment_event(event)
    if not outcomes:
        raise _Skip("ignored: the comment answers no comment of the brand's")
    if outcomes == [rights_queue.NO_REQUEST]:
        raise _Skip("ignored: the comment answers none of the brand's rights requests")
    logger.info("a reply to a rights request: %s", outcomes[0])
    return 1


def _mentioned_media(collector, value: dict) -> dict:
    client, token, user = collector.client, collector.token, collector.account.external_id
    if value.get("comment_id"):
        comment = client.mentioned_comment(token, user, str(value["comment_id"]))
        media = comment.get("media") if isinstance(comment.get("media"), dict) else {}
        media_id = media.get("id") or value.get("media_id")
    else:
        media_id = value.get("media_id")
    if not media_id:
        raise _Skip("the mention names no media")
    return client.mentioned_media(token, user, str(media_id))
