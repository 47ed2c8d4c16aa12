"""Product-line and product tags: by hand (with a hotspot), or suggested and
then accepted or dismissed by a coordinator."""

from __future__ import annotations

import re
from html import unescape

from django.db import transaction
from django.db.models import Q
from django.utils.html import strip_tags
from django.utils.translation import gettext

from commerce.models import Product, ProductLine
from ugc.captions import normalise_tag
from ugc.models import (
    Asset,
    AssetEmbedding,
    ProductEmbedding,
    ProductLineTag,
    ProductTag,
    TaggingRule,
    TagSource,
)
from ugc.search.embedding import TextEmbedder
from ugc.services.assets import acting_user, record
from ugc.services.embedders import default_embedder
from ugc.services.search_index import request_indexing, upsert_embeddings

RULE_CONFIDENCE = 0.9
# Cosine similarity from which a product is worth suggesting, and how many at most.
PRODUCT_SIMILARITY_MIN = 0.5
PRODUCT_SUGGESTIONS_MAX = 5


# -- products' vectors ---------------------------------------------------------------


def product_text(product: Product) -> str:
    description = re.sub(r"\s+", " ", unescape(strip_tags(product.description or ""))).strip()
    line = product.product_line.name if product.product_line_id else ""
    return "\n".join(part for part in (product.title, line, description) if part)


@transaction.atomic
def embed_products(product_ids, *, embedder: TextEmbedder | None = None) -> dict:
    products = Product.objects.filter(pk__in=list(product_ids)).select_related("product_line")
    return upsert_embeddings(
        ProductEmbedding,
        "product",
        {product: product_text(product) for product in products},
        embedder or default_embedder(),
    )


# -- by hand ---------------------------------------------------------------------------


def _check_hotspot(x, y) -> None:
    if (x is None) != (y is None):
        raise ValueError(gettext("a hotspot needs both x and y"))
    if x is not None and not (0 <= x <= 1 and 0 <= y <= 1):
        raise ValueError(gettext("hotspot x and y are fractions of the image, from 0 to 1"))


@transaction.atomic
def tag_product(
    asset: Asset, product: Product, *, actor=None, x: float | None = None, y: float | None = None
) -> ProductTag:
    """Tag a product on an asset (accepting a suggestion of it), with an optional point."""
    _check_hotspot(x, y)
    tag, created = ProductTag.objects.get_or_create(
        asset=asset,
        product=product,
        defaults={"source": TagSource.MANUAL, "created_by": acting_user(actor)},
    )
    tag.accepted, tag.dismissed, tag.hotspot_x, tag.hotspot_y = True, False, x, y
    tag.save()
    record(
        asset,
        "tag_product",
        actor=actor,
        changes={"product": [None, product.sku], "hotspot": [None, [x, y]]},
        note="" if created else "updated",
    )
    return tag


@transaction.atomic
def untag_product(asset: Asset, product: Product, *, actor=None) -> bool:
    deleted, _ = ProductTag.objects.filter(asset=asset, product=product).delete()
    if deleted:
        record(asset, "untag_product", actor=actor, changes={"product": [product.sku, None]})
        request_indexing([asset.pk])
    return bool(deleted)


@transaction.atomic
def tag_product_line(asset: Asset, line: ProductLine, *, actor=None) -> ProductLineTag:
    tag, _ = ProductLineTag.objects.get_or_create(
        asset=asset,
        product_line=line,
        defaults={"source": TagSource.MANUAL, "created_by": acting_user(actor)},
    )
    tag.accepted, tag.dismissed = True, False
    tag.save()
    record(asset, "tag_product_line", actor=actor, changes={"product_line": [None, line.slug]})
    request_indexing([asset.pk])
    return tag


# -- suggestions --------------------------------------------------------------------------


def rule_suggestions(asset: Asset, rules: list[TaggingRule]) -> dict[int, str]:
    """Product line id -> why, from the caption and hashtag rules."""
    hashtags = {normalise_tag(tag) for tag in asset.hashtags}
    words = {normalise_tag(w) for w in re.findall(r"\w+", asset.caption or "")}
    found: dict[int, str] = {}
    for rule in rules:
        value = normalise_tag(rule.value.lstrip("#"))
        if rule.kind == TaggingRule.Kind.HASHTAG and value in hashtags:
            found.setdefault(rule.product_line_id, f"hashtag #{value}")
        elif rule.kind == TaggingRule.Kind.KEYWORD and value in words:
            found.setdefault(rule.product_line_id, f"caption mentions “{value}”")
    return found


def similar_products(asset: Asset, embedder: TextEmbedder) -> list[tuple[int, float]]:
    """(product id, cosine similarity) of the products nearest to the asset's text."""
    vector = (
        AssetEmbedding.objects.filter(asset=asset, model=embedder.name)
        .values_list("vector", flat=True)
        .first()
    )
    if vector is None:
        return []
    from pgvector.django import CosineDistance

    rows = (
        ProductEmbedding.objects.filter(model=embedder.name)
        .annotate(distance=CosineDistance("vector", vector))
        .order_by("distance")
        .values_list("product_id", "distance")[:PRODUCT_SUGGESTIONS_MAX]
    )
    return [(pid, 1 - d) for pid, d in rows if 1 - d >= PRODUCT_SIMILARITY_MIN]


@transaction.atomic
def suggest_tags(asset: Asset, *, embedder: TextEmbedder | None = None) -> dict:
    """Suggest product lines (rules) and products (similarity); never re-suggest a
    tag that exists, accepted or dismissed. Returns what was suggested."""
    embedder = embedder or default_embedder()
    rules = list(TaggingRule.objects.filter(active=True))
    have_lines = set(asset.product_line_tags.values_list("product_line_id", flat=True))
    have_products = set(asset.product_tags.values_list("product_id", flat=True))
    lines = [
        ProductLineTag(
            asset=asset,
            product_line_id=line_id,
            source=TagSource.SUGGESTED,
            accepted=False,
            confidence=RULE_CONFIDENCE,
            reason=why,
        )
        for line_id, why in rule_suggestions(asset, rules).items()
        if line_id not in have_lines
    ]
    titles = dict(Product.objects.values_list("id", "title"))
    products = [
        ProductTag(
            asset=asset,
            product_id=pid,
            source=TagSource.SUGGESTED,
            accepted=False,
            confidence=round(similarity, 4),
            reason=f"similar to “{titles.get(pid, pid)}” ({similarity:.2f})",
        )
        for pid, similarity in similar_products(asset, embedder)
        if pid not in have_products
    ]
    ProductLineTag.objects.bulk_create(lines, ignore_conflicts=True)
    ProductTag.objects.bulk_create(products, ignore_conflicts=True)
    return {
        "product_lines": [t.product_line_id for t in lines],
        "products": [t.product_id for t in products],
    }


def pending_suggestions(assets):
    """Suggested tags that wait for a coordinator, for a selection of assets."""
    return (
        ProductTag.objects.filter(asset__in=assets, accepted=False, dismissed=False),
        ProductLineTag.objects.filter(asset__in=assets, accepted=False, dismissed=False),
    )


def suggested_products(asset: Asset, *, limit: int = 10) -> list[tuple[Product, str]]:
    """(product, why) worth tagging on this asset, best first: the similar products
    suggested already, then the products of the lines its caption rules point at.
    Products tagged or dismissed on it are left out."""
    settled = set(
        ProductTag.objects.filter(asset=asset)
        .filter(Q(accepted=True) | Q(dismissed=True))
        .values_list("product_id", flat=True)
    )
    found: dict[int, tuple[Product, str]] = {}
    pending = pending_suggestions([asset])[0].select_related("product").order_by("-confidence")
    for tag in pending[:limit]:
        found.setdefault(tag.product_id, (tag.product, tag.reason or "suggested"))
    rules = list(TaggingRule.objects.filter(active=True))
    lines = rule_suggestions(asset, rules) if rules else {}
    if len(found) < limit and lines:
        in_lines = Product.objects.filter(product_line_id__in=lines).exclude(pk__in=settled)
        for product in in_lines.order_by("title")[: limit * 2]:
            found.setdefault(product.pk, (product, lines[product.product_line_id]))
    return [pair for pid, pair in found.items() if pid not in settled][:limit]


def suggested_lines(asset: Asset, *, limit: int = 5) -> list[tuple[ProductLine, str]]:
    """(product line, why) worth tagging on this asset, best first: the lines suggested
    already, then those its caption rules point at now. Lines tagged or dismissed on it
    are left out."""
    tags = ProductLineTag.objects.filter(asset=asset).select_related("product_line")
    settled = {t.product_line_id for t in tags if t.accepted or t.dismissed}
    found = {
        t.product_line_id: (t.product_line, t.reason or "suggested")
        for t in sorted(tags, key=lambda t: -(t.confidence or 0))
        if t.product_line_id not in settled
    }
    rules = list(TaggingRule.objects.filter(active=True))
    matched = rule_suggestions(asset, rules) if rules else {}
    fresh = {pk: why for pk, why in matched.items() if pk not in settled and pk not in found}
    for line in ProductLine.objects.filter(pk__in=fresh).order_by("name"):
        found[line.pk] = (line, fresh[line.pk])
    return list(found.values())[:limit]


@transaction.atomic
def decide_suggestions(assets, *, accept: bool, actor=None) -> int:
    """Accept or dismiss every pending suggestion on these assets (bulk); returns how many."""
    count = 0
    for queryset in pending_suggestions(assets):
        for tag in queryset.select_related("asset"):
            if accept:
                tag.accepted = True
            else:
                tag.dismissed = True
            tag.save(update_fields=["accepted", "dismissed"])
            target = getattr(tag, "product_id", None) or tag.product_line_id
            kind = "product" if hasattr(tag, "product_id") else "product_line"
            record(
                tag.asset,
                "accept_suggestion" if accept else "dismiss_suggestion",
                actor=actor,
                changes={kind: [None, target]},
                note=tag.reason,
            )
            count += 1
    return count
