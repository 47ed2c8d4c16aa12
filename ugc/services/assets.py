"""Writes on assets that every part of the library shares: metadata edits,
state transitions, creators and the audit trail."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.effects import after_commit
from ugc.captions import normalise_handle, parse_hashtags, parse_mentions
from ugc.models import Asset, AuditEntry, Creator

logger = logging.getLogger(__name__)


# Edits to these change what search and suggestions see.
SEARCHED_FIELDS = frozenset({"caption", "alt_text", "tags", "creator", "language"})

# Fields a coordinator may edit directly; states change through transition().
EDITABLE_FIELDS = frozenset(
    {
        "caption",
        "language",
        "alt_text",
        "content_type",
        "creator",
        "permalink",
        "posted_at",
        "tags",
        "media_type",
    }
)


def acting_user(actor):
    """The user behind a change, or None when the system made it (a task, an import,
    an anonymous caller): the one rule for every `*_by` field and the audit trail."""
    return actor if getattr(actor, "is_authenticated", False) else None


def plain_value(value: Any) -> Any:
    """A JSON-safe form of a field value (a row by its key, a time as ISO 8601)."""
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def record(
    asset: Asset, action: str, *, actor=None, changes: dict | None = None, note: str = ""
) -> AuditEntry:
    """Append to the asset's audit trail (who changed what)."""
    return AuditEntry.objects.create(
        asset=asset,
        actor=acting_user(actor),
        action=action,
        changes=changes or {},
        note=note,
    )


@transaction.atomic
def update_metadata(asset: Asset, *, actor=None, **fields) -> dict[str, list]:
    """Change editable fields; re-derive hashtags and mentions from a new caption.

    Returns the changes made, field -> [old, new]; an unchanged value is no change.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    changes: dict[str, list] = {}
    for name, value in fields.items():
        old = getattr(asset, name)
        if old != value:
            changes[name] = [plain_value(old), plain_value(value)]
            setattr(asset, name, value)
    if "caption" in changes:
        asset.hashtags = parse_hashtags(asset.caption)
        asset.mentions = parse_mentions(asset.caption)
    if changes:
        asset.save()
        record(asset, "update", actor=actor, changes=changes)
        if changes.keys() & SEARCHED_FIELDS:
            from ugc.services.search_index import request_indexing

            request_indexing([asset.pk])
    return changes


@transaction.atomic
def transition(
    asset: Asset,
    field: str,
    new_state: str,
    *,
    actor=None,
    note: str = "",
    action: str = "",
    **extra_fields,
) -> Asset:
    """Move one of the asset's states, if the state machine allows it, with an audit entry.

    The row is locked first, so two concurrent transitions cannot both pass
    the check on a stale state. The entry holds every field it changed, old and new,
    so the change can be told in words and undone (`action` names it; by default
    "field:new_state").
    """
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    changes = _moved(locked, field, new_state, extra_fields)
    locked.save(update_fields=[field, *extra_fields, "updated_at"])
    record(locked, action or f"{field}:{new_state}", actor=actor, changes=changes, note=note)
    for name in (field, *extra_fields, "updated_at"):
        setattr(asset, name, getattr(locked, name))
    return asset


def transition_new(
    assets: list[Asset], field: str, new_state: str, *, actor=None, note: str = "", **extra_fields
) -> None:
    """transition() for assets inserted by the current transaction, as they are in hand.

    No other transaction can see such a row yet, so there is nothing to lock and
    nothing newer to read: the state machine is checked on the objects, then one UPDATE
    moves them all and one INSERT writes their audit entries (the same entries
    transition() writes)."""
    if not assets:
        return
    now = timezone.now()
    with transaction.atomic(savepoint=False):  # nothing here is caught to go on with
        entries = []
        for asset in assets:
            changes = _moved(asset, field, new_state, extra_fields)
            asset.updated_at = now
            entries.append(
                AuditEntry(
                    asset=asset,
                    actor=acting_user(actor),
                    action=f"{field}:{new_state}",
                    changes=changes,
                    note=note,
                )
            )
        Asset.objects.filter(pk__in=[asset.pk for asset in assets]).update(
            **{field: new_state}, **extra_fields, updated_at=now
        )
        AuditEntry.objects.bulk_create(entries)


def _moved(asset: Asset, field: str, new_state: str, extra_fields: dict) -> dict:
    """Set the new state and fields on `asset` (the state machine permitting); the
    changes, old and new, as the audit entry keeps them."""
    old = getattr(asset, field)
    asset.check_transition(field, new_state)
    changes = {field: [old, new_state]}
    for name, value in extra_fields.items():
        model_field = Asset._meta.get_field(name)
        before, after = plain_value(getattr(asset, model_field.attname)), plain_value(value)
        if before != after:
            changes[model_field.name] = [before, after]
        setattr(asset, name, value)
    setattr(asset, field, new_state)
    return changes


def upsert_creator(*, platform: str, handle: str, **fields) -> Creator | None:
    """The creator for platform + handle, created or updated with what we now know."""
    handle = normalise_handle(handle)
    if not handle:
        return None
    known = {name: value for name, value in fields.items() if value not in (None, "")}
    creator, created = Creator.objects.get_or_create(
        platform=platform, handle=handle, defaults=known
    )
    if not created:
        stale = {name: value for name, value in known.items() if getattr(creator, name) != value}
        if stale:
            for name, value in stale.items():
                setattr(creator, name, value)
            creator.save(update_fields=[*stale, "updated_at"])
    return creator


def delete_asset(asset: Asset, *, actor=None) -> None:
    """Delete an asset with its original and its renditions' files.

    The files go only once the deletion is committed: a rolled-back delete
    leaves an asset whose files are all still there.
    """
    original_storage = asset.original.storage
    originals = [asset.original.name] if asset.original else []
    renditions = [r.file for r in asset.renditions.all() if r.file]
    logger.info("asset %s deleted by %s", asset.pk, getattr(actor, "pk", None) or "the system")
    asset.delete()

    def remove_files():
        for name in originals:
            original_storage.delete(name)
        for file in renditions:
            file.storage.delete(file.name)

    after_commit(remove_files)
