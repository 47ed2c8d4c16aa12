"""Reads of the library that views, tasks and other apps reuse (DESIGN.md §2)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce

from commerce.models import ProductLine
from ugc.models import Asset, ProductLineTag, ProductTag, Rendition


def asset_library() -> QuerySet[Asset]:
    """Every asset with what its API answer needs, in a fixed number of queries."""
    return Asset.objects.select_related("creator", "content_type").prefetch_related(
        Prefetch("renditions", queryset=Rendition.objects.order_by("kind", "format", "width")),
        Prefetch(
            "product_tags",
            queryset=ProductTag.objects.filter(accepted=True).select_related("product"),
        ),
        Prefetch(
            "product_line_tags",
            queryset=ProductLineTag.objects.filter(accepted=True).select_related("product_line"),
        ),
    )


def with_sort_keys(assets: QuerySet[Asset]) -> QuerySet[Asset]:
    """Non-null sort keys, so cursor pagination can order by posted time or quality."""
    return assets.annotate(
        posted_sort=Coalesce("posted_at", "created_at"),
        quality_sort=Coalesce("quality_score", -1.0),
    )


def product_line_and_descendants(slugs: Iterable[str]) -> set[int]:
    """Ids of the named lines and every line below them (the tree is shallow)."""
    ids = set(ProductLine.objects.filter(slug__in=list(slugs)).values_list("id", flat=True))
    frontier = set(ids)
    while frontier:
        children = set(
            ProductLine.objects.filter(parent_id__in=frontier).values_list("id", flat=True)
        )
        frontier = children - ids
        ids |= frontier
    return ids


def in_product_lines(assets: QuerySet[Asset], slugs: Iterable[str]) -> QuerySet[Asset]:
    """Assets tagged with a line (or a sub-line), or with a product of one."""
    line_ids = product_line_and_descendants(slugs)
    tagged_line = ProductLineTag.objects.filter(
        asset=OuterRef("pk"), accepted=True, product_line_id__in=line_ids
    )
    tagged_product = ProductTag.objects.filter(
        asset=OuterRef("pk"), accepted=True, product__product_line_id__in=line_ids
    )
    return assets.filter(Q(Exists(tagged_line)) | Q(Exists(tagged_product)))


def with_products(assets: QuerySet[Asset], skus: Iterable[str]) -> QuerySet[Asset]:
    tagged = ProductTag.objects.filter(
        asset=OuterRef("pk"), accepted=True, product__sku__in=list(skus)
    )
    return assets.filter(Exists(tagged))


def publishable_assets(now=None) -> QuerySet[Asset]:
    """THE rule (DESIGN.md §4.1): what a storefront may ever receive.

    Processed, approved, rights granted and neither expired nor revoked. Every
    storefront path starts from this queryset; nothing else decides it. Expiry
    is checked against the clock here too, so a grant stops publishing at its
    expiry even before the task that marks it expired has run.
    """
    from django.utils import timezone

    from ugc.models import ModerationState, ProcessingState, RightsState

    now = now or timezone.now()
    return Asset.objects.filter(
        processing_state=ProcessingState.IN_REVIEW,
        moderation_state=ModerationState.APPROVED,
        rights_state=RightsState.GRANTED,
    ).filter(Q(rights_expires_at__isnull=True) | Q(rights_expires_at__gt=now))
