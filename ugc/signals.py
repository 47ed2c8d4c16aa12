"""Signals other parts listen to, so the library never imports its listeners.

`asset_unpublished` is sent whenever an asset may have stopped being
publishable (rejected, rights revoked, declined or expired, erased), after the
change commits, so that caches of storefront responses can drop it at once.
"""

from django.dispatch import Signal

# kwargs: asset_ids (list[int]), reason (str)
asset_unpublished = Signal()


def send_unpublished(asset_ids, reason: str) -> None:
    from core.effects import after_commit

    ids = list(asset_ids)
    if ids:
        after_commit(asset_unpublished.send, sender=None, asset_ids=ids, reason=reason)
