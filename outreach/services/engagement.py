"""What buyers do with a request: open a link, unsubscribe."""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from outreach.models import PhotoRequest, RequestLink, SuppressionReason
from outreach.services import suppression


def record_click(request_id: int, product_id: int) -> RequestLink | None:
    """Count an opening of a link; the first one dates the click (the funnel counts a
    link once however often it is opened). None when the link's request is gone."""
    now = timezone.now()
    updated = RequestLink.objects.filter(request_id=request_id, product_id=product_id).update(
        clicks=F("clicks") + 1, first_clicked_at=Coalesce(F("first_clicked_at"), now)
    )
    if not updated:
        return None
    return RequestLink.objects.select_related("request__order", "product").get(
        request_id=request_id, product_id=product_id
    )


def unsubscribe(request_id: int) -> bool:
    """Put the request's address on the suppression list; False when there is none."""
    email_hash = (
        PhotoRequest.objects.filter(pk=request_id).values_list("email_hash", flat=True).first()
    )
    if not email_hash:
        return False
    suppression.suppress(email_hash, SuppressionReason.UNSUBSCRIBED, "one-click or page")
    return True
