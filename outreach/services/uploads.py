"""A shopper's upload from the storefront page: the files through ugc's one upload
path, each created asset marked as a customer upload and licensed on the terms the
shopper accepted, with the proof; through a request's link, also "verified buyer"
and the link's asset, which the funnel counts.

Nothing here publishes: the assets wait in the review queue (moderation pending),
their rights already granted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from outreach.models import RequestLink
from outreach.services.suppression import email_hash
from ugc.ingest.uploads import ingest_uploads, upload_item
from ugc.models import Asset, GrantMethod
from ugc.services import licences, rights
from ugc.services.licences import LicenceTerms

CUSTOMER_UPLOAD = "customer-upload"
VERIFIED_BUYER = "verified-buyer"
RATE_WINDOW_SECONDS = 3600


class LinkUsed(Exception):
    """The request's link already brought a photo: a second upload through it would
    count the same order twice."""


@dataclass
class Submission:
    """What the form said, with who sent it (their network address) and from where."""

    site_id: int
    name: str
    terms_text: str
    language: str
    address: str
    caption: str = ""
    email: str = ""
    product_sku: str = ""
    link: RequestLink | None = None
    tags: list[str] = field(default_factory=list)


def within_limits(address: str, email: str) -> bool:
    """Count this upload against its network address and e-mail address (each kept
    only as a keyed hash in the cache); False once either is over its hourly limit."""
    ip_key = f"upload-rate:ip:{licences.hashed_address(address)}"
    counted = [(ip_key, settings.UPLOAD_LIMIT_PER_ADDRESS)]
    if email:
        key = f"upload-rate:email:{email_hash(email)}"
        counted.append((key, settings.UPLOAD_LIMIT_PER_EMAIL))
    allowed = True
    for key, limit in counted:
        cache.add(key, 0, RATE_WINDOW_SECONDS)
        try:
            allowed &= cache.incr(key) <= limit
        except ValueError:  # expired between add and incr: a new window
            cache.set(key, 1, RATE_WINDOW_SECONDS)
    return allowed


def check_link(link: RequestLink) -> None:
    if link.asset_id is not None:
        raise LinkUsed


def submit(files, submission: Submission) -> list[dict]:
    """Each file through ingestion; per file the upload's result (as ugc gives it)."""
    if submission.link is not None:
        check_link(submission.link)
    tags = [CUSTOMER_UPLOAD, *([VERIFIED_BUYER] if submission.link else [])]
    handle = submission.name.startswith("@")
    item = upload_item(
        {
            "platform": "upload",
            "caption": submission.caption,
            "creator_handle": submission.name if handle else "",
            "creator_name": "" if handle else submission.name,
            "language": submission.language,
            "product_skus": [submission.product_sku] if submission.product_sku else [],
            "tags": tags,
        }
    )
    # One transaction for the assets and their licences: a photo is never kept without
    # the consent it came with, one commit is cheaper than two, and the pipeline is
    # queued once both are committed.
    created: list[Asset] = []
    try:
        with transaction.atomic():
            results = ingest_uploads(
                files,
                item,
                actor=None,
                note="uploaded by a shopper",
                cap=settings.UPLOAD_MAX_BYTES,
                # Type and pixel count refused here, to the shopper; decoding is the worker's.
                look_first=True,
                created=created,
            )
            if created:
                _license(created, submission)
    except BaseException:
        # Their rows are rolled back: the files must not outlive them.
        for asset in created:
            Asset._meta.get_field("original").storage.delete(asset.original.name)
        raise
    return results


def _license(assets: list[Asset], submission: Submission) -> None:
    now = timezone.now()
    link = submission.link
    proof = {
        "form": "storefront upload page",
        "terms_sha256": licences.terms_digest(submission.terms_text),
        "accepted_at": now.isoformat(),
        "address_hash": licences.hashed_address(submission.address),
        # The suppression list's hash: an address that asks to be forgotten can be found.
        "email_hash": email_hash(submission.email) if submission.email else "",
        "site_id": submission.site_id,
        "language": submission.language,
        "request_id": link.request_id if link else None,
        "order_id": link.request.order_id if link else None,
    }
    terms = LicenceTerms(uses=list(settings.UPLOAD_TERMS_USES), paid_use=False)
    # The assets were inserted just now, in this transaction: granted as they are in hand.
    rights.grant_new(
        assets,
        via=GrantMethod.SIGNED_FORM,
        terms=terms,
        proof=proof,
        terms_text=submission.terms_text,
        at=now,
    )
    if link is not None:
        # The first photo is the link's: the funnel counts a link once.
        RequestLink.objects.filter(pk=link.pk, asset__isnull=True).update(asset_id=assets[0].pk)
