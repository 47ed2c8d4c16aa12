"""Photo requests from orders: who is asked, when, and when the address goes.

An order asks for a request when a webhook says the buyer accepted marketing;
the request is sent when the order is fulfilled (the orders/fulfilled webhook)
or, without that, OUTREACH_FALLBACK_DAYS after the order. The address is kept
(encrypted) only for such orders and only until the request window ends.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from commerce.ingest.records import OrderContact
from commerce.models import Order, OrderLine
from core.effects import enqueue_after_commit
from outreach.models import OPEN_STATES, PhotoRequest, RequestLink, RequestState
from outreach.services import suppression
from ugc.models import Site

logger = logging.getLogger(__name__)

NO_ADDRESS = "The order carries no e-mail address; there is nobody to ask."


def on_order_contact(sender, order_id: int, contact: OrderContact, **kwargs) -> None:
    """Receiver of commerce's `order_contact` signal."""
    record_contact(order_id, contact)


def language_for(locale: str, site: Site | None) -> str:
    """The buyer's language when we write it, else the site's, else the first one."""
    languages = settings.OUTREACH_LANGUAGES
    for candidate in (locale, site.locale if site else ""):
        code = (candidate or "").replace("_", "-").split("-")[0].lower()
        if code in languages:
            return code
    return languages[0]


def site_for(order: Order) -> Site | None:
    """The storefront of the shop: the site on the shop's domain, else the first one."""
    return (
        Site.objects.filter(domain=order.shop.domain).first() or Site.objects.order_by("pk").first()
    )


def record_contact(order_id: int, contact: OrderContact, now=None) -> PhotoRequest | None:
    """Create, update or cancel the order's request from what its webhook said."""
    now = now or timezone.now()
    with transaction.atomic():
        order = Order.objects.select_related("shop").filter(pk=order_id).first()
        if order is None:
            return None
        request = PhotoRequest.objects.select_for_update().filter(order=order).first()
        if request is not None and request.state not in OPEN_STATES:
            return request  # sent, failed, suppressed...: settled
        if not contact.accepts_marketing:
            if request is not None:
                _close(request, RequestState.CANCELLED, "The buyer withdrew marketing consent.")
            return request
        window_ends = order.created_at_shop + timedelta(
            days=settings.OUTREACH_FALLBACK_DAYS + settings.OUTREACH_WINDOW_DAYS
        )
        if window_ends <= now:
            return request  # an old order (an import, a late update): too late to ask
        products = _products(order)
        if not products:
            return request  # nothing from the catalog to photograph
        if request is None:
            request = _create(order, contact, products, now, window_ends)
        else:
            _refresh(request, contact)
        if contact.fulfilled and request.state == RequestState.WAITING:
            request.fulfilled_at = now
            request.due_at = min(request.due_at, now)
        if request.state == RequestState.WAITING and request.due_at <= now:
            request.state = RequestState.QUEUED
        request.save()
        if request.state == RequestState.QUEUED:
            _enqueue(request)
        return request


def _products(order: Order) -> list[int]:
    ids = OrderLine.objects.filter(order=order, product__isnull=False).values_list(
        "product_id", flat=True
    )
    return sorted(set(ids))


def _create(order, contact: OrderContact, products, now, window_ends) -> PhotoRequest:
    site = site_for(order)
    request = PhotoRequest(
        order=order,
        site=site,
        language=language_for(contact.locale, site),
        due_at=order.created_at_shop + timedelta(days=settings.OUTREACH_FALLBACK_DAYS),
        window_ends_at=window_ends,
        state=RequestState.WAITING,
    )
    if not contact.email:
        request.state, request.detail = RequestState.FAILED, NO_ADDRESS
    else:
        request.email, request.email_hash = contact.email, suppression.email_hash(contact.email)
        if suppression.is_suppressed(request.email_hash):
            request.state, request.email = RequestState.SUPPRESSED, ""
            request.detail = "The address is on the suppression list."
    request.save()
    RequestLink.objects.bulk_create(
        [RequestLink(request=request, product_id=product) for product in products]
    )
    return request


def _refresh(request: PhotoRequest, contact: OrderContact) -> None:
    """A later webhook of the same order: a changed address or language is taken."""
    if contact.email and request.state != RequestState.SENDING:
        request.email, request.email_hash = contact.email, suppression.email_hash(contact.email)
        if suppression.is_suppressed(request.email_hash):
            _close(request, RequestState.SUPPRESSED, "The address is on the suppression list.")
    if contact.locale:
        request.language = language_for(contact.locale, request.site)


def _close(request: PhotoRequest, state: str, detail: str) -> None:
    request.state, request.detail, request.email = state, detail, ""
    request.save(update_fields=["state", "detail", "email", "updated_at"])


def _enqueue(request: PhotoRequest) -> None:
    from outreach import tasks  # tasks import services: resolved at call time

    enqueue_after_commit(tasks.send_photo_request, request.pk)


def sweep(now=None) -> dict[str, int]:
    """The beat's pass: due requests queued, stalled ones sent again, ended windows
    closed and their addresses erased. Each step is one UPDATE; safe to run twice."""
    now = now or timezone.now()
    stalled_before = now - timedelta(seconds=settings.OUTREACH_SENDING_TIMEOUT_SECONDS)
    with transaction.atomic():
        expired = PhotoRequest.objects.filter(
            state__in=OPEN_STATES, window_ends_at__lte=now
        ).exclude(state=RequestState.SENDING, sending_since__gt=stalled_before)
        counts = {
            "expired": expired.update(
                state=RequestState.EXPIRED,
                email="",
                detail="The request window ended before the e-mail could be sent.",
            ),
            "erased": PhotoRequest.objects.filter(window_ends_at__lte=now)
            .exclude(email="")
            .exclude(state=RequestState.SENDING)
            .update(email=""),
        }
        due = PhotoRequest.objects.filter(state=RequestState.WAITING, due_at__lte=now).update(
            state=RequestState.QUEUED, updated_at=now
        )
        counts["due"] = due
        # Whatever is queued (due now, a task message lost with a broker, retries given
        # up while the SMTP server was down for hours) or stalled in `sending` goes out
        # in batches; a second batch task finds nothing left to claim.
        waiting = PhotoRequest.objects.filter(
            Q(state=RequestState.QUEUED)
            | Q(state=RequestState.SENDING, sending_since__lte=stalled_before)
        ).exists()
        from outreach import tasks

        if waiting:
            enqueue_after_commit(tasks.send_due_requests)
    counts["enqueued"] = int(waiting)
    return counts
