"""A creator's data on request: everything we hold, exported or erased in one action."""

from __future__ import annotations

from django.db import transaction

from core.effects import after_commit
from ugc.models import Asset, Creator, PrivacyRequest, Rendition
from ugc.services.assets import acting_user, plain_value
from ugc.signals import send_unpublished

ASSET_FIELDS = [
    "id",
    "media_type",
    "source_platform",
    "caption",
    "hashtags",
    "mentions",
    "language",
    "alt_text",
    "permalink",
    "posted_at",
    "platform_id",
    "source_url",
    "platform_metrics",
    "original_filename",
    "width",
    "height",
    "duration_seconds",
    "created_at",
    "moderation_state",
    "rights_state",
    "rights_expires_at",
]


def creator_ref(creator: Creator) -> str:
    return f"creator {creator.pk} ({creator.platform})"


def export_creator(creator: Creator, *, actor=None) -> dict:
    """Every field we hold about the creator and their assets, as JSON-ready data."""
    assets = []
    for asset in creator.assets.prefetch_related("renditions", "rights_requests"):
        record = {name: plain_value(getattr(asset, name)) for name in ASSET_FIELDS}
        record["renditions"] = [r.file.name for r in asset.renditions.all()]
        record["rights_requests"] = [
            {
                "state": r.state,
                "message": r.message,
                "requested_at": plain_value(r.requested_at),
                "granted_via": r.granted_via,
                "granted_at": plain_value(r.granted_at),
                "reply_text": r.reply_text,
            }
            for r in asset.rights_requests.all()
        ]
        assets.append(record)
    data = {
        "creator": {
            "platform": creator.platform,
            "handle": creator.handle,
            "display_name": creator.display_name,
            "profile_url": creator.profile_url,
            "follower_count": creator.follower_count,
            "created_at": plain_value(creator.created_at),
        },
        "assets": assets,
    }
    PrivacyRequest.objects.create(
        kind=PrivacyRequest.Kind.EXPORT,
        creator_ref=creator_ref(creator),
        actor=acting_user(actor),
        counts={"assets": len(assets)},
    )
    return data


def erase_creator(creator: Creator, *, actor=None) -> dict:
    """Remove the creator, their assets, renditions and files; keep only that it happened."""
    with transaction.atomic():
        assets = list(Asset.objects.select_for_update().filter(creator=creator))
        renditions = list(Rendition.objects.filter(asset__in=assets))
        files = [(r.file.storage, r.file.name) for r in renditions if r.file]
        files += [(a.original.storage, a.original.name) for a in assets if a.original]
        counts = {"assets": len(assets), "renditions": len(renditions), "files": len(files)}
        ref = creator_ref(creator)
        ids = [a.pk for a in assets]
        Asset.objects.filter(pk__in=ids).delete()  # renditions, tags, vectors, audit cascade
        creator.delete()
        PrivacyRequest.objects.create(
            kind=PrivacyRequest.Kind.ERASE, creator_ref=ref, actor=acting_user(actor), counts=counts
        )
        send_unpublished(ids, "creator erased")
        # Files go only once the rows are gone for good.
        for storage, name in files:
            after_commit(storage.delete, name)
    return counts
