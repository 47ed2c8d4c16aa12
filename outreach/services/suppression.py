"""The suppression list: unsubscribes, hard bounces and complaints, by keyed hash."""

from __future__ import annotations

from django.db import transaction

from core.crypto import keyed_hash
from outreach.models import OPEN_STATES, PhotoRequest, RequestState, Suppression

HASH_PURPOSE = "outreach-email"


def email_hash(email: str) -> str:
    return keyed_hash(email.strip().lower(), purpose=HASH_PURPOSE)


def is_suppressed(hash_: str) -> bool:
    return Suppression.objects.filter(email_hash=hash_).exists()


def suppress(hash_: str, reason: str, detail: str = "") -> bool:
    """Add an address to the list (True when it was not on it yet); every request to it
    that is not sent yet is closed and its copy of the address erased."""
    with transaction.atomic():
        _, created = Suppression.objects.get_or_create(
            email_hash=hash_, defaults={"reason": reason, "detail": detail[:500]}
        )
        PhotoRequest.objects.filter(email_hash=hash_, state__in=OPEN_STATES).update(
            state=RequestState.SUPPRESSED,
            email="",
            detail=f"The address is on the suppression list ({reason}).",
        )
    return created
