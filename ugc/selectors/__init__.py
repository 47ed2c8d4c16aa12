"""Reads of the library that views, tasks and other apps reuse (docs/architecture.md,
the layers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from commerce.models import Product, ProductLine
from ugc.models import (
    PUBLISHABLE_STATE_VALUES,
    PUBLISHABLE_STATES,
    Asset,
    LicensedUse,
    ProductLineTag,
    ProductTag,
    Rendition,
)


def asset_library() -> QuerySet[Asset]:
    """Every asset with what its API answer needs, in a fixed number of queries."""
    return Asset.objects.select_related("creator", "content_type", "score").prefetch_related(
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
    return lines_and_descendants(ids)


def lines_and_descendants(line_ids: Iterable[int]) -> set[int]:
    """The lines and every line below them, one query per level."""
    ids = set(line_ids)
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
    return assets.filter(tagged_with_lines(product_line_and_descendants(slugs)))


def tagged_with_lines(line_ids: set[int]) -> Q:
    """Tagged with one of these lines, or with a product of one."""
    tagged_line = ProductLineTag.objects.filter(
        asset=OuterRef("pk"), accepted=True, product_line_id__in=line_ids
    )
    # The lines' products by id, not through a join: the planner then probes each asset's
    # tags by index instead of hashing every product tag in the library first.
    products = Product.objects.filter(product_line_id__in=line_ids).values_list("pk", flat=True)
    tagged_product = ProductTag.objects.filter(
        asset=OuterRef("pk"), accepted=True, product_id__in=list(products)
    )
    return Q(Exists(tagged_line)) | Q(Exists(tagged_product))


def with_products(assets: QuerySet[Asset], skus: Iterable[str]) -> QuerySet[Asset]:
    tagged = ProductTag.objects.filter(
        asset=OuterRef("pk"), accepted=True, product__sku__in=list(skus)
    )
    return assets.filter(Exists(tagged))


def publishable_assets(now=None, *, use: str = LicensedUse.WEBSITE, site=None) -> QuerySet[Asset]:
    """THE rule (docs/architecture.md, rule 1): what a storefront may ever receive, for one use.

    Processed, approved, rights granted and neither expired nor revoked, and the
    licence allows `use` (galleries serve the website; an email export asks for
    "email"). Every storefront path starts from this queryset; nothing else decides
    it. Expiry is checked against the clock here too, so a grant stops publishing at
    its expiry even before the task that marks it expired has run.
    Given a `site`, its territory too (`licensed_on()`); without one, what some
    storefront may show. `is_publishable()` is the same rule on a row in memory.
    """
    if use not in LicensedUse.values:
        raise ValueError(f"unknown use {use!r}")
    now = now or timezone.now()
    assets = Asset.objects.filter(PUBLISHABLE_STATES, licensed_uses__contains=[use]).filter(
        Q(rights_expires_at__isnull=True) | Q(rights_expires_at__gt=now)
    )
    return assets if site is None else assets.filter(licensed_on(site))


def licensed_on(site) -> Q:
    """Licensed where the site sells: worldwide, or for a territory holding every
    country the site names (a site naming none shows worldwide licences only). The
    partial gallery indexes still order the walk; this is a filter on the rows."""
    worldwide = Q(licensed_territory=[])
    return (
        worldwide | Q(licensed_territory__contains=site.countries) if site.countries else worldwide
    )


def is_publishable(asset, now=None, *, use: str = LicensedUse.WEBSITE, site=None) -> bool | None:
    """publishable_assets()'s rule on a row already loaded, from the same states; None
    when one of its fields was not loaded (never a query from here)."""
    values = asset.__dict__
    fields = (*PUBLISHABLE_STATE_VALUES, "rights_expires_at", "licensed_uses")
    if site is not None:
        fields = (*fields, "licensed_territory")
    if any(name not in values for name in fields):
        return None
    expires = values["rights_expires_at"]
    return (
        all(values[name] == value for name, value in PUBLISHABLE_STATE_VALUES.items())
        and use in (values["licensed_uses"] or ())
        and (expires is None or expires > (now or timezone.now()))
        and (site is None or _territory_covers(values["licensed_territory"], site.countries))
    )


def _territory_covers(territory, countries) -> bool:
    """licensed_on()'s test in memory."""
    return not territory or (bool(countries) and set(countries) <= set(territory))


def gallery_rule_filter(rule) -> Q:
    """What one gallery rule matches, as a Q over Asset (every set condition holds)."""
    q = Q()
    if rule.product_line_id:
        q &= tagged_with_lines(lines_and_descendants({rule.product_line_id}))
    if rule.product_id:
        q &= Q(
            Exists(
                ProductTag.objects.filter(
                    asset=OuterRef("pk"), accepted=True, product_id=rule.product_id
                )
            )
        )
    if rule.tags:
        q &= Q(tags__overlap=list(rule.tags)) | Q(hashtags__overlap=list(rule.tags))
    if rule.content_type_id:
        q &= Q(content_type_id=rule.content_type_id)
    if rule.platform:
        q &= Q(source_platform=rule.platform)
    if rule.min_score is not None:
        q &= Q(quality_score__gte=rule.min_score)
    return q


def gallery_assets(gallery, product_sku: str | None = None, now=None) -> QuerySet[Asset]:
    """The assets a gallery shows, in order, ALWAYS a subset of `publishable_assets()`
    on the gallery's site.

    Pins first, in their position; then rule matches (any rule), ordered by the
    gallery's ordering. A gallery without rules shows its pins only, except a
    product-page gallery, whose candidates are then every publishable asset.
    For a product-page gallery given a SKU, the non-pinned assets come in three
    tiers: tagged with the product, then with its product line (or a sub-line,
    or a product of one), then the brand (every other candidate).
    The caller slices to `gallery.size`; `gallery_page()` reads the same order
    without sorting every candidate.
    """
    tiers = [tier.match for tier in product_tiers(gallery, product_sku)]
    return _gallery_order(gallery, _rule_matches(gallery), tiers, now)


def _gallery_order(gallery, matches: Q | None, tiers: list[Q], now) -> QuerySet[Asset]:
    """gallery_assets() from the gallery's rule matches and product tiers."""
    from django.db.models import Case, IntegerField, Subquery, Value, When

    from ugc.models import GalleryPin

    # .order_by(): the pin's default ordering (by gallery, so by site name) would add a
    # join to a subquery evaluated once per candidate.
    pins = GalleryPin.objects.filter(gallery=gallery, asset=OuterRef("pk")).order_by()
    pin_position = pins.values("position")[:1]
    if matches is None:
        candidates = Q(Exists(pins))
    else:  # (an empty Q, every asset, would vanish from an OR: `Q(x) | Q()` is `Q(x)`)
        candidates = Q(Exists(pins)) | matches if matches else Q()
    assets = (
        publishable_assets(now, site=gallery.site)
        .filter(candidates)
        .annotate(pin_position=Subquery(pin_position, output_field=IntegerField()))
    )
    whens = [When(tier, then=Value(place)) for place, tier in enumerate(tiers[:-1])]
    tier = Value(0, output_field=IntegerField())
    if whens:  # (a Case without cases compiles to a bare 0, an ORDER BY column number)
        tier = Case(*whens, default=Value(len(tiers) - 1), output_field=IntegerField())
    assets, keys = _ordered(with_sort_keys(assets.annotate(tier=tier)), gallery)
    return assets.order_by(F("pin_position").asc(nulls_last=True), "tier", *keys, "-pk")


def gallery_page(gallery, product_sku: str | None = None, *, start: int, stop: int, now=None):
    """Ids of `gallery_assets(...)[start:stop]`, the same assets in the same order."""
    shown = gallery_page_tiers(gallery, product_sku, start=start, stop=stop, now=now)
    return [pk for pk, _ in shown]


def gallery_page_tiers(
    gallery, product_sku: str | None = None, *, start: int, stop: int, now=None
) -> list[tuple[int, Tier]]:
    """(id, the tier it ranks in) of `gallery_assets(...)[start:stop]`, in that order.

    The whole ordering sorts every candidate (750k on a 1M library) to keep a page
    of 24. Here the pins come first (a handful, in the full order), then each
    product tier in turn as its own LIMITed query in the gallery's ordering, which
    a partial index over the publishable assets answers without a sort. Every query
    starts from `publishable_assets()` through `gallery_assets()`' pieces.
    """
    from ugc.models import GalleryOrdering, GalleryPin

    if stop <= start:
        return []
    now = now or timezone.now()
    pins = GalleryPin.objects.filter(gallery=gallery).order_by()  # (no join for the order)
    pinned = list(pins.values_list("asset_id", flat=True))
    matches = _rule_matches(gallery)
    tiers = product_tiers(gallery, product_sku) if matches is not None else [Tier()]
    matches_of = [tier.match for tier in tiers]
    shown: list[tuple[int, Tier]] = []
    if pinned:  # few: their full order, ties broken as gallery_assets() does
        ordered = _gallery_order(gallery, matches, matches_of, now).filter(pk__in=pinned)
        rows = ordered.values_list("pk", "tier")[:stop]
        shown = [(pk, tiers[place]) for pk, place in rows]
    if matches is None:  # pins only
        return shown[start:stop]
    rest = publishable_assets(now, site=gallery.site).filter(matches)
    rest = rest.exclude(pk__in=pinned) if pinned else rest
    taken = Q()
    for tier in tiers:
        if len(shown) >= stop:
            break
        in_tier = rest.filter(tier.match).exclude(taken) if taken else rest.filter(tier.match)
        if gallery.ordering == GalleryOrdering.RECOMMENDED:
            ids = _recommended_first(in_tier, gallery, stop - len(shown))
        else:
            assets, keys = _ordered(with_sort_keys(in_tier), gallery)
            page = assets.order_by(*keys, "-pk").values_list("pk", flat=True)
            ids = list(page[: stop - len(shown)])
        shown.extend((pk, tier) for pk in ids)
        taken |= tier.match
    return shown[start:stop]


def _recommended_first(assets: QuerySet[Asset], gallery, count: int) -> list[int]:
    """The first `count` of `assets` in the recommended order, without sorting them all.

    with_recommended_keys() orders by the place in the stored order, then the score
    (none counts as -1), then newest. The placed ones are few and read by id; the rest
    come by score from its index: above -1, then those at -1 (the unscored, newest
    first on the gallery index), then below (no score is, but the order allows it).
    """
    from ugc.models import GalleryRecommendation

    stored = GalleryRecommendation.objects.filter(gallery=gallery).values_list("asset_ids")
    stored = stored.first()  # (one query; the first place of an id is its place)
    order = list(dict.fromkeys(stored[0])) if stored else []
    ids = []
    if order:
        present = set(assets.filter(pk__in=order).values_list("pk", flat=True))
        ids = [pk for pk in order if pk in present][:count]
        assets = assets.exclude(pk__in=order)
    # Each band as the planner can read it: a score above or below -1 is an inner join
    # ordered by the score's index; -1 (mostly no score) orders by newest alone.
    bands = [
        (Q(score__score__gt=-1.0), ["-score__score"]),
        (Q(score__isnull=True) | Q(score__score=-1.0), []),
        (Q(score__score__lt=-1.0), ["-score__score"]),
    ]
    for band, by_score in bands:
        if len(ids) >= count:
            break
        page = with_sort_keys(assets.filter(band)).order_by(*by_score, "-posted_sort", "-pk")
        ids.extend(page.values_list("pk", flat=True)[: count - len(ids)])
    return ids


def _rule_matches(gallery) -> Q | None:
    """What a gallery's rules match beyond its pins (any rule); None: nothing (pins only)."""
    rules = list(gallery.rules.select_related("product_line"))
    if rules:
        matches = Q()
        for rule in rules:
            matches |= gallery_rule_filter(rule)
        return matches
    return Q() if gallery.product_page else None


@dataclass(frozen=True)
class Tier:
    """One rank of a product page's gallery and why its assets are there: `reason` is
    "product", "product_line" or "brand" (None outside a product page), `label` the
    words a shopper reads ("More from Tents")."""

    match: Q = field(default_factory=Q)
    reason: str | None = None
    label: str = ""


def product_tiers(gallery, product_sku: str | None) -> list[Tier]:
    """A product page's tiers, first shown first: the product, its line, the brand.
    Each matches after excluding the tiers before it; the last matches all."""
    if not (gallery.product_page and product_sku):
        return [Tier()]
    brand = Tier(Q(), "brand", f"More from {settings.BRAND_NAME}")
    product = (
        Product.objects.filter(sku=product_sku)
        .values("pk", "product_line_id", "product_line__name")
        .first()
    )
    if product is None:  # not imported yet: the brand, every candidate alike
        return [brand]
    # By the product's id, not its SKU through a join: the planner then knows from the
    # tag statistics how many assets show it, and walks the ordered index when many do
    # instead of sorting them all (bench/gallery.py: 64 ms -> 8 ms for 5,000 assets).
    tagged = ProductTag.objects.filter(asset=OuterRef("pk"), accepted=True)
    tiers = [Tier(Q(Exists(tagged.filter(product_id=product["pk"]))), "product", "This product")]
    if product["product_line_id"] is not None:
        lines = lines_and_descendants({product["product_line_id"]})
        label = f"More from {product['product_line__name']}"
        tiers.append(Tier(tagged_with_lines(lines), "product_line", label))
    return [*tiers, brand]


def _ordered(assets: QuerySet[Asset], gallery) -> tuple[QuerySet[Asset], list]:
    """The gallery's ordering keys after pins and tier (ties go to the newest id)."""
    from ugc.models import GalleryOrdering

    if gallery.ordering == GalleryOrdering.RECOMMENDED:
        keys = [
            F("recommended_place").asc(nulls_last=True),
            F("score_sort").desc(),
            F("posted_sort").desc(),
        ]
        return with_recommended_keys(assets, gallery.pk), keys
    if gallery.ordering == GalleryOrdering.BEST_SCORE:
        return assets, [F("quality_sort").desc(), F("posted_sort").desc()]
    return assets, [F("posted_sort").desc()]  # newest, and manual after the pins


def with_recommended_keys(assets: QuerySet[Asset], gallery_id: int) -> QuerySet[Asset]:
    """The place in the gallery's stored recommended order (ugc.services.scoring, kept for
    a time bucket), and the score for assets not placed yet (new since it was computed)."""
    from django.db.models import FloatField, IntegerField
    from django.db.models.expressions import RawSQL

    place = RawSQL(
        "array_position((SELECT r.asset_ids FROM ugc_galleryrecommendation r "
        "WHERE r.gallery_id = %s), ugc_asset.id)",
        [gallery_id],
        output_field=IntegerField(),
    )
    return assets.annotate(
        recommended_place=place,
        score_sort=Coalesce("score__score", -1.0, output_field=FloatField()),
    )


def recommendation_candidates(gallery, limit: int) -> QuerySet[Asset]:
    """A gallery's candidates that are not pinned (pins keep their places), best score
    first, with what ordering needs: the CTR posterior, creator and near-duplicate."""
    from django.db.models import FloatField

    assets = gallery_assets(gallery).filter(pin_position__isnull=True)
    assets = assets.annotate(rank_score=Coalesce("score__score", 0.5, output_field=FloatField()))
    return assets.order_by("-rank_score", "-pk").values_list(
        "pk",
        "rank_score",
        "score__ctr_alpha",
        "score__ctr_beta",
        "creator_id",
        "duplicate_of_id",
    )[:limit]


def assets_with_new_data(since) -> set[int]:
    """Assets to rescore: performance or engagement recorded after `since` (everything
    with data when None), and processed assets that have no score yet."""
    from ugc.models import AssetEngagementSnapshot, AssetPerformance, AssetScore

    performance = AssetPerformance.objects.all()
    engagement = AssetEngagementSnapshot.objects.all()
    if since is not None:
        performance = performance.filter(updated_at__gt=since)
        engagement = engagement.filter(recorded_at__gt=since)
    unscored = Asset.objects.filter(processing_state="in_review").exclude(
        Exists(AssetScore.objects.filter(asset=OuterRef("pk")))
    )
    ids = set(performance.values_list("asset_id", flat=True).distinct())
    ids |= set(engagement.values_list("asset_id", flat=True).distinct())
    ids |= set(unscored.values_list("pk", flat=True))
    return ids


ENGAGEMENT_SUMMARY = """
WITH latest AS (
    SELECT DISTINCT ON (s.asset_id) s.asset_id, a.source_platform AS platform,
           s.impressions, s.reach, s.likes + s.comments + s.saves + s.shares AS engagements
    FROM ugc_assetengagementsnapshot s JOIN ugc_asset a ON a.id = s.asset_id
    WHERE (%(platform)s::text IS NULL OR a.source_platform = %(platform)s)
      AND (%(since)s::timestamptz IS NULL OR s.captured_at >= %(since)s)
    ORDER BY s.asset_id, s.captured_at DESC
)
SELECT platform, count(*),
       sum(impressions)::bigint, sum(reach)::bigint, sum(engagements)::bigint,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY engagements::float8 / NULLIF(impressions, 0))
FROM latest GROUP BY platform ORDER BY platform
"""


def engagement_summary(platform: str | None = None, since=None) -> list[dict]:
    """Per platform, over each post's latest snapshot: engagements / impressions and
    / reach, the median post, and the platform's published median to compare with."""
    from django.db import connection

    from ugc.scoring.parts import ENGAGEMENT_BENCHMARKS

    with connection.cursor() as cursor:
        cursor.execute(ENGAGEMENT_SUMMARY, {"platform": platform, "since": since})
        rows = cursor.fetchall()
    summary = []
    for name, posts, impressions, reach, engagements, median in rows:
        benchmark = ENGAGEMENT_BENCHMARKS.get(name)
        rate = engagements / impressions if impressions else None
        summary.append(
            {
                "platform": name,
                "posts": posts,
                "impressions": int(impressions or 0),
                "reach": int(reach or 0),
                "engagements": int(engagements or 0),
                "engagement_rate": rate,
                "engagement_rate_by_reach": engagements / reach if reach else None,
                "median_post_rate": median,
                "benchmark_median_rate": benchmark,
                "vs_benchmark": rate / benchmark if rate is not None and benchmark else None,
            }
        )
    return summary


def follower_growth(platform: str | None = None, since=None) -> list[dict]:
    """Each account's first and last follower count in the window, and the net growth."""
    from ugc.models import AccountFollowerSnapshot

    rows = AccountFollowerSnapshot.objects.order_by("platform", "handle", "captured_at")
    if platform:
        rows = rows.filter(platform=platform)
    if since is not None:
        rows = rows.filter(captured_at__gte=since)
    accounts: dict[tuple[str, str], dict] = {}
    for row in rows.iterator():
        entry = accounts.setdefault(
            (row.platform, row.handle),
            {"platform": row.platform, "handle": row.handle, "first": row.followers},
        )
        entry.update(last=row.followers, last_captured_at=row.captured_at)
    for entry in accounts.values():
        entry["net_growth"] = entry["last"] - entry["first"]
    return list(accounts.values())


# -- recommendations ----------------------------------------------------------------------

# Rights that can still be asked for: a decline or a revocation is the creator's answer.
REQUESTABLE_RIGHTS = ("not_requested", "requested", "expired")
PRODUCT_REVENUE_DAYS = 90
SIMILAR_ASSETS = 200  # nearest assets by embedding considered for a product


def not_yet_publishable(now=None) -> QuerySet[Asset]:
    """Processed, not rejected assets whose rights could still be secured."""
    return Asset.objects.filter(
        processing_state="in_review", rights_state__in=REQUESTABLE_RIGHTS
    ).exclude(moderation_state="rejected")


def rights_to_request_next(limit: int) -> list[int]:
    """Ids of the requestable assets (not_yet_publishable) nobody has asked yet, the
    best scored first, then the unscored newest first: the rights inbox's "to request
    next".

    Two walks down an index that stop at `limit` (the scores, then the ids): one
    ordering over the join would sort every requestable asset first.
    """
    unasked = not_yet_publishable().exclude(rights_state="requested")
    scored = list(
        unasked.filter(score__isnull=False)
        .order_by("-score__score", "-pk")
        .values_list("pk", flat=True)[:limit]
    )
    if len(scored) == limit:
        return scored
    unscored = unasked.filter(score__isnull=True).order_by("-pk").values_list("pk", flat=True)
    return scored + list(unscored[: limit - len(scored)])


def product_revenue(product_ids: Iterable[int], now=None) -> dict[int, float]:
    """Each product's order revenue over the last 90 days; its price when it sold none
    (a product's value to show does not start at zero)."""
    from datetime import timedelta

    from django.db.models import Sum
    from django.utils import timezone

    from commerce.models import OrderLine, Product

    ids = list(product_ids)
    since = (now or timezone.now()) - timedelta(days=PRODUCT_REVENUE_DAYS)
    sold = dict(
        OrderLine.objects.filter(product_id__in=ids, order__created_at_shop__gte=since)
        .values("product_id")
        .annotate(total=Sum("line_total"))
        .values_list("product_id", "total")
    )
    prices = dict(Product.objects.filter(pk__in=ids).values_list("pk", "price"))
    return {pid: float(sold.get(pid) or prices.get(pid) or 0) for pid in ids}


def product_relevance(product) -> dict[int, tuple[float, str]]:
    """asset id -> (relevance to the product 0..1, why): an accepted tag (a person's or an
    import's is certain, a suggestion counts by its confidence), else the cosine
    similarity of the asset's and the product's embeddings."""
    from pgvector.django import CosineDistance

    from ugc.models import AssetEmbedding, ProductEmbedding

    found: dict[int, tuple[float, str]] = {}
    embedding = ProductEmbedding.objects.filter(product=product).order_by("-created_at").first()
    if embedding is not None:
        nearest = (
            AssetEmbedding.objects.filter(model=embedding.model)
            .annotate(distance=CosineDistance("vector", embedding.vector))
            .order_by("distance")
            .values_list("asset_id", "distance")[:SIMILAR_ASSETS]
        )
        for asset_id, distance in nearest:
            similarity = max(0.0, 1.0 - float(distance))
            found[asset_id] = (similarity, f"similar to the product ({similarity:.2f})")
    tags = ProductTag.objects.filter(product=product, accepted=True)
    for asset_id, source, confidence in tags.values_list("asset_id", "source", "confidence"):
        strength = (confidence or 0.0) if source == "suggested" else 1.0
        if strength >= found.get(asset_id, (0.0, ""))[0]:
            found[asset_id] = (strength, f"tagged with {product.sku} ({source})")
    return found


def scored_assets(ids: Iterable[int]) -> QuerySet[Asset]:
    return asset_library().filter(pk__in=list(ids)).select_related("score")


# -- thumbnails -------------------------------------------------------------------------

# What a thumbnail shows (a workspace tile, a dashboard ranking's row): few columns.
TILE_FIELDS = (
    "id",
    "media_type",
    "source_platform",  # the dashboard's rankings show it beside the thumbnail
    "caption",
    "alt_text",
    "moderation_state",
    "rights_state",
    "processing_state",
    "dominant_colors",
    "creator__handle",
)
RENDITION_FIELDS = ("id", "asset_id", "kind", "format", "width", "height", "file")


def tile_assets(assets: QuerySet[Asset]) -> QuerySet[Asset]:
    """The assets with what a thumbnail shows (creator, renditions; few columns), in two
    queries."""
    renditions = Rendition.objects.only(*RENDITION_FIELDS).order_by("kind", "format", "width")
    return (
        assets.select_related("creator")
        .only(*TILE_FIELDS)
        .prefetch_related(Prefetch("renditions", queryset=renditions))
    )
