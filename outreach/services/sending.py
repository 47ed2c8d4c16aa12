"""Sending requests: claim, send, record; safe to run any number of times. One at a
time (`deliver`, the webhook's task for a fulfilled order) or in batches
(`deliver_batch`, the sweep's task: one claim, one connection, one "sent" statement).

States: queued -> sending -> sent | suppressed (a 5xx bounce) | back to queued
(a transient failure, retried). The claim commits `sending` with the request's
Message-ID before any SMTP traffic, so a second task for the same request
finds it taken and sends nothing. A worker killed after the server accepted
the message but before `sent` committed leaves the request in `sending`; once
OUTREACH_SENDING_TIMEOUT_SECONDS have passed it is sent again with the SAME
Message-ID. That is at-least-once delivery: nothing is skipped, and the one
duplicate such a crash can make carries the first copy's Message-ID, so mail
systems that deduplicate by it show one message. Exactly-once is impossible:
SMTP cannot be asked whether it already took a message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.pages import default_brand
from outreach import batch_mail, mail
from outreach.models import PhotoRequest, RequestState, Suppression, SuppressionReason
from outreach.services import suppression

SENT, SUPPRESSED, NOTHING, BUSY, RETRY = "sent", "suppressed", "nothing", "busy", "retry"
ERASED = "The address was erased before the e-mail could be sent."


@dataclass
class Outcome:
    result: str
    detail: str = ""
    wait_seconds: float = 0  # BUSY: when the one sending it counts as lost


def deliver(request_id: int) -> Outcome:
    claimed = _claim(request_id)
    if isinstance(claimed, Outcome):
        return claimed
    request = claimed
    if request.suppressed:
        _finish(request, RequestState.SUPPRESSED, "The address is on the suppression list.")
        return Outcome(SUPPRESSED)
    failure = _send(request)
    if failure is None:
        _mark_sent([request.pk])
        return Outcome(SENT)
    if failure.permanent:
        return Outcome(SUPPRESSED, failure.reason)
    _release_all([request.pk], failure.reason)
    return Outcome(RETRY, failure.reason)


def _send(
    request: PhotoRequest | batch_mail.Outgoing, composer: batch_mail.Composer | None = None
) -> mail.Failure | None:
    """Send the request's e-mail: None once sent. A bounce suppresses the address and
    closes the request here; any other failure is the caller's to put back."""
    try:
        mail.send(composer.compose(request) if composer else mail.render(request))
    except Exception as exc:
        failure = mail.smtp_failure(exc)
        if failure.permanent:
            suppression.suppress(request.email_hash, SuppressionReason.BOUNCED, failure.reason)
            _finish(request, RequestState.SUPPRESSED, failure.reason)
        return failure
    return None


def _claim(request_id: int) -> PhotoRequest | Outcome:
    """Take the request for sending, or say why not (another has it, or nothing to do)."""
    now = timezone.now()
    timeout = timedelta(seconds=settings.OUTREACH_SENDING_TIMEOUT_SECONDS)
    with transaction.atomic():
        request = (
            _sendable()
            .select_for_update(skip_locked=True, of=("self",))
            .filter(pk=request_id)
            .first()
        )
        if request is None:
            # Locked by a claim in progress (or gone): that one sends it.
            return Outcome(NOTHING, "taken by another task or no longer there")
        if request.state == RequestState.SENDING and request.sending_since + timeout > now:
            wait = (request.sending_since + timeout - now).total_seconds()
            return Outcome(BUSY, "another task is sending it", wait_seconds=wait)
        if request.state not in (RequestState.QUEUED, RequestState.SENDING):
            return Outcome(NOTHING, f"the request is {request.state}")
        if not request.email:
            request.state = RequestState.FAILED
            request.detail = ERASED
            request.save(update_fields=["state", "detail", "updated_at"])
            return Outcome(NOTHING, request.detail)
        if not request.message_id:
            request.message_id = f"<photo-request.{request.pk}.{secrets.token_hex(8)}@{_domain()}>"
        request.state, request.sending_since = RequestState.SENDING, now
        request.attempts += 1
        request.save(
            update_fields=["state", "sending_since", "attempts", "message_id", "updated_at"]
        )
    return request


# -- many at once: the sweep's path ------------------------------------------------------

BATCH = 200

# Due requests taken in one statement: queued ones, and those whose sender counts as
# lost. SKIP LOCKED: two senders never take the same row. A request keeps the
# Message-ID it was given on its first claim. The same statement reads what their
# e-mails need (order, products, whether the address is suppressed): one round trip.
CLAIM_BATCH = """
WITH claimed AS (
    UPDATE outreach_photorequest AS r
    SET state = 'sending', sending_since = %(now)s, updated_at = %(now)s,
        attempts = r.attempts + 1,
        message_id = CASE WHEN r.message_id = '' THEN
            '<photo-request.' || r.id || '.' || substr(md5(random()::text || r.id), 1, 16)
            || '@' || %(domain)s || '>' ELSE r.message_id END
    WHERE r.id IN (
        SELECT id FROM outreach_photorequest
        WHERE state IN ('queued', 'sending')  -- the partial index outreach_request_to_send
            AND (state = 'queued' OR sending_since <= %(stalled)s)
        ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
    )
    RETURNING r.id, r.order_id, r.site_id, r.email, r.email_hash, r.language, r.message_id
)
SELECT c.id, c.email, c.email_hash, c.language, c.message_id, o.name, o.shop_order_id,
    EXISTS (SELECT FROM outreach_suppression s WHERE s.email_hash = c.email_hash),
    (SELECT json_agg(json_build_array(p.id, p.title, p.image_url) ORDER BY p.id)
     FROM outreach_requestlink l JOIN commerce_product p ON p.id = l.product_id
     WHERE l.request_id = c.id),
    coalesce(s.brand_colour, ''), coalesce(s.brand_text_colour, '')
FROM claimed c JOIN commerce_order o ON o.id = c.order_id
    LEFT JOIN ugc_site s ON s.id = c.site_id
ORDER BY c.id
"""


@dataclass
class Batch:
    sent: int = 0
    suppressed: int = 0
    failed: int = 0
    released: int = 0  # back to queued: the server failed part-way
    detail: str = ""

    @property
    def claimed(self) -> int:
        return self.sent + self.suppressed + self.failed + self.released


def deliver_batch(limit: int = BATCH) -> Batch:
    """Claim up to `limit` due requests in one statement, send them on the process's one
    SMTP connection, record them in a few statements. A bounce suppresses its own
    address only; a server that fails part-way puts every unsent request back to
    queued (nothing is lost) and the batch stops there."""
    requests = claim_batch(limit)
    batch = Batch()
    sent: list[int] = []
    composer = batch_mail.Composer() if requests else None
    for position, request in enumerate(requests):
        if request.suppressed or not request.email:
            state, detail = _unsendable(request)
            _finish(request, state, detail)
            batch.suppressed += state == RequestState.SUPPRESSED
            batch.failed += state == RequestState.FAILED
            continue
        failure = _send(request, composer)
        if failure is None:
            sent.append(request.pk)
        elif failure.permanent:
            batch.suppressed += 1
        else:
            unsent = [r.pk for r in requests[position:]]
            batch.released = _release_all(unsent, failure.reason)
            batch.detail = failure.reason
            break
    batch.sent = _mark_sent(sent)
    return batch


def claim_batch(limit: int) -> list[batch_mail.Outgoing]:
    """Up to `limit` due requests, now `sending` with their Message-IDs, by id."""
    now = timezone.now()
    timeout = timedelta(seconds=settings.OUTREACH_SENDING_TIMEOUT_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_BATCH,
            {"now": now, "stalled": now - timeout, "limit": limit, "domain": _domain()},
        )
        rows = cursor.fetchall()
    address = PhotoRequest._meta.get_field("email")
    brand = default_brand()
    return [
        batch_mail.Outgoing(
            pk, address.from_db_value(email, None, connection), email_hash, language,
            message_id, mail.order_title(name, shop_order_id), suppressed,
            [tuple(product) for product in products or ()],
            brand.with_colours(colour, text_colour),
        )
        for pk, email, email_hash, language, message_id, name, shop_order_id, suppressed,
        products, colour, text_colour in rows
    ]  # fmt: skip


def _domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"


def _sendable():
    """Requests with what rendering needs, and whether their address is suppressed."""
    return (
        PhotoRequest.objects.select_related("order", "site")
        .prefetch_related("links__product")
        .annotate(suppressed=Exists(Suppression.objects.filter(email_hash=OuterRef("email_hash"))))
    )


def _unsendable(request: batch_mail.Outgoing) -> tuple[str, str]:
    if request.suppressed:
        return RequestState.SUPPRESSED, "The address is on the suppression list."
    return RequestState.FAILED, ERASED


def _mark_sent(ids: list[int]) -> int:
    now = timezone.now()
    return PhotoRequest.objects.filter(pk__in=ids, state=RequestState.SENDING).update(
        state=RequestState.SENT,
        sent_at=now,
        window_ends_at=now + timedelta(days=settings.OUTREACH_WINDOW_DAYS),
        detail="",
        updated_at=now,
    )


def _release_all(ids: list[int], detail: str) -> int:
    """Back to queued after a failure that is worth another try."""
    return PhotoRequest.objects.filter(pk__in=ids, state=RequestState.SENDING).update(
        state=RequestState.QUEUED, detail=detail, updated_at=timezone.now()
    )


def _finish(request: PhotoRequest | batch_mail.Outgoing, state: str, detail: str) -> None:
    PhotoRequest.objects.filter(pk=request.pk).update(
        state=state, detail=detail, email="", updated_at=timezone.now()
    )
