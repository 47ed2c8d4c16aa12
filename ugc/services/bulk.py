"""One change applied to many assets, for the API and the workspace alike.

Each asset is its own transaction: one that cannot change (not processed yet,
already in that state) is skipped with the reason, and the others proceed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from commerce.models import Product, ProductLine
from ugc.models import Asset, InvalidTransition


@dataclass
class BulkResult:
    """What a bulk action did: the ids done, and the others with why not."""

    done: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"id": .., "reason": ..}

    def summary(self, verb: str, noun: str = "asset") -> str:
        text = f"{verb} {len(self.done)} {noun}{'s' if len(self.done) != 1 else ''}"
        if self.skipped:
            first = self.skipped[0]
            text += f"; skipped {len(self.skipped)} ({noun} {first['id']}: {first['reason']})"
        return text


def each_asset(assets: QuerySet[Asset], change: Callable[[Asset], object]) -> BulkResult:
    result = BulkResult()
    for asset in assets.select_related("creator").order_by("pk").iterator(chunk_size=500):
        try:
            with transaction.atomic():
                change(asset)
        except InvalidTransition as exc:
            result.skipped.append({"id": asset.pk, "reason": exc.messages[0]})
        else:
            result.done.append(asset.pk)
    return result


def tag_product(assets: QuerySet[Asset], product: Product, *, actor=None) -> BulkResult:
    from ugc.services import tagging

    return each_asset(assets, lambda asset: tagging.tag_product(asset, product, actor=actor))


def tag_product_line(assets: QuerySet[Asset], line: ProductLine, *, actor=None) -> BulkResult:
    from ugc.services import tagging

    return each_asset(assets, lambda asset: tagging.tag_product_line(asset, line, actor=actor))


def request_rights(assets: QuerySet[Asset], *, actor=None) -> BulkResult:
    """Queue a request for each asset; the queue sends them over time, paced per
    account (ugc.services.rights_queue)."""
    from ugc.services import rights

    return each_asset(assets, lambda asset: rights.request_rights(asset, actor=actor))
