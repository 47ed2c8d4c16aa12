"""Recommendations and social engagement for coordinators: which assets to show for a
product or add to a gallery, whose rights to request next, and how posts engage
against their platform's median. Thin over ugc.selectors and ugc.services."""

from __future__ import annotations

from datetime import UTC

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.models import Product
from core.api.permissions import IsAnalyst, IsCoordinator
from ugc import selectors
from ugc.api.serializers import AssetScoreSerializer
from ugc.models import Gallery, Platform
from ugc.services import performance

LIMIT_MAX = 100
PROBLEM = OpenApiResponse(description="Problem details (application/problem+json)")


def _limit(request, default: int = 24) -> int:
    raw = request.query_params.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        raise ValidationError({"limit": [f"must be a whole number from 1 to {LIMIT_MAX}"]})
    return int(raw)


def _since(request):
    from django.utils.dateparse import parse_datetime

    raw = request.query_params.get("since")
    if raw is None:
        return None
    try:
        parsed = parse_datetime(raw)
        parsed = parsed if parsed is None or parsed.tzinfo else timezone.make_aware(parsed)
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO allows (was a 500).
        parsed = parsed and parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise ValidationError({"since": ["must be an ISO 8601 date-time"]})
    return parsed


def _platform(request):
    raw = request.query_params.get("platform")
    if raw is not None and raw not in Platform.values:
        raise ValidationError({"platform": [f"must be one of {', '.join(Platform.values)}"]})
    return raw


# -- recommendations ----------------------------------------------------------------------


class RecommendedAssetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source_platform = serializers.CharField()
    media_type = serializers.CharField()
    caption = serializers.CharField()
    moderation_state = serializers.CharField()
    rights_state = serializers.CharField()
    publishable = serializers.BooleanField()
    relevance = serializers.FloatField(help_text="To the product, 0..1 (product lists only).")
    expected_value = serializers.FloatField(
        help_text="Relevance x predicted conversions per impression x product revenue."
    )
    score = AssetScoreSerializer(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())


class ProductRecommendationsSerializer(serializers.Serializer):
    sku = serializers.CharField()
    publishable = RecommendedAssetSerializer(many=True)
    rights_to_request = RecommendedAssetSerializer(many=True)


class GalleryCandidatesSerializer(serializers.Serializer):
    gallery = serializers.IntegerField()
    candidates = RecommendedAssetSerializer(many=True)


def _reasons(asset, score, relevance_reason: str | None) -> list[str]:
    reasons = [relevance_reason] if relevance_reason else []
    if score is None:
        return [*reasons, "not scored yet"]
    if score.impressions:
        reasons.append(
            f"clicked {score.clicks:,} times in {score.impressions:,} gallery impressions "
            f"(estimated click-through {score.ctr:.1%})"
        )
    else:
        reasons.append("not shown in a gallery yet: its click-through is the prior's")
    if score.engagement_rate is not None:
        reasons.append(f"engagement rate {score.engagement_rate:.2%} on {asset.source_platform}")
    quality = "not measured" if score.quality is None else f"{score.quality:.2f}"
    reasons.append(f"quality {quality}, freshness {score.freshness:.2f}")
    return reasons


def _row(asset, publishable: set[int], relevance=(1.0, None), revenue: float = 0.0) -> dict:
    from ugc.models import AssetScore

    try:
        score = asset.score
    except AssetScore.DoesNotExist:
        score = None
    predicted = score.ctr * score.conversion_rate if score else 0.0
    return {
        "id": asset.pk,
        "source_platform": asset.source_platform,
        "media_type": asset.media_type,
        "caption": asset.caption,
        "moderation_state": asset.moderation_state,
        "rights_state": asset.rights_state,
        "publishable": asset.pk in publishable,
        "relevance": relevance[0],
        "expected_value": relevance[0] * predicted * revenue,
        "score": AssetScoreSerializer(score).data if score else None,
        "reasons": _reasons(asset, score, relevance[1]),
    }


def _score_of(row: dict) -> float:
    return row["score"]["score"] if row["score"] else 0.0


class ProductRecommendationsView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Best assets for a product, and whose rights to request next",
        description="`publishable`: assets a storefront may show, by relevance x score. "
        "`rights_to_request`: processed assets not rejected whose rights are not secured, "
        "by expected value (relevance x predicted conversions per impression x the "
        "product's revenue over 90 days, or its price). Each with its reasons.",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1..100")],
        responses={200: ProductRecommendationsSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, sku):
        limit = _limit(request)
        product = get_object_or_404(Product, sku=sku)
        relevance = selectors.product_relevance(product)
        publishable = set(
            selectors.publishable_assets().filter(pk__in=relevance).values_list("pk", flat=True)
        )
        requestable = set(
            selectors.not_yet_publishable().filter(pk__in=relevance).values_list("pk", flat=True)
        )
        revenue = selectors.product_revenue([product.pk])[product.pk]
        assets = selectors.scored_assets(publishable | requestable)
        rows = [_row(a, publishable, relevance[a.pk], revenue) for a in assets]
        shown = sorted(
            (r for r in rows if r["publishable"]),
            key=lambda r: (-r["relevance"] * _score_of(r), -r["id"]),
        )
        to_request = sorted(
            (r for r in rows if not r["publishable"]),
            key=lambda r: (-r["expected_value"], -r["relevance"] * _score_of(r), -r["id"]),
        )
        return Response(
            {
                "sku": product.sku,
                "publishable": shown[:limit],
                "rights_to_request": to_request[:limit],
            }
        )


class GalleryCandidatesView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Candidates to add to a gallery",
        description="Publishable assets the gallery does not show yet (not pinned, no rule "
        "matches them), best score first, with reasons.",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1..100")],
        responses={200: GalleryCandidatesSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request, pk):
        limit = _limit(request)
        gallery = get_object_or_404(Gallery, pk=pk)
        shown = selectors.gallery_assets(gallery).values("pk")
        ids = (
            selectors.publishable_assets(site=gallery.site)
            .exclude(pk__in=shown)
            .order_by("-score__score", "-pk")
            .values_list("pk", flat=True)[:limit]
        )
        ids = list(ids)
        by_id = {a.pk: a for a in selectors.scored_assets(ids)}
        rows = [_row(by_id[i], set(ids)) for i in ids]
        return Response({"gallery": gallery.pk, "candidates": rows})


# -- engagement ---------------------------------------------------------------------------


class EngagementFailureSerializer(serializers.Serializer):
    item = serializers.CharField()
    id = serializers.CharField()
    reason = serializers.CharField()


class EngagementImportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    followers = serializers.IntegerField()
    failed = EngagementFailureSerializer(many=True)


class EngagementImportView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Import per-post engagement snapshots",
        description='The body is an Instagram Graph API export (`{"data": [...]}`, '
        'insights inline) or a TikTok display-API one (`{"data": {"videos": [...]}}`), '
        "with `captured_at` on the document or each post (default: now), and optionally "
        "`followers` or `account`. Posts match assets by platform and id; the same "
        "snapshot again changes nothing; bad posts are listed with a reason and the rest "
        "come in.",
        request=OpenApiTypes.OBJECT,
        responses={200: EngagementImportSerializer, 400: PROBLEM},
    )
    def post(self, request):
        try:
            result = performance.import_engagement(request.data, default_captured_at=timezone.now())
        except DjangoValidationError as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from exc
        return Response(EngagementImportSerializer(result).data)


class PlatformEngagementSerializer(serializers.Serializer):
    platform = serializers.CharField()
    posts = serializers.IntegerField()
    impressions = serializers.IntegerField()
    reach = serializers.IntegerField()
    engagements = serializers.IntegerField(help_text="Likes + comments + saves + shares.")
    engagement_rate = serializers.FloatField(allow_null=True, help_text="÷ impressions")
    engagement_rate_by_reach = serializers.FloatField(allow_null=True)
    median_post_rate = serializers.FloatField(allow_null=True)
    benchmark_median_rate = serializers.FloatField(
        allow_null=True, help_text="Median per post (Rival IQ); null where none is published."
    )
    vs_benchmark = serializers.FloatField(allow_null=True, help_text="engagement_rate ÷ benchmark")


class FollowerGrowthSerializer(serializers.Serializer):
    platform = serializers.CharField()
    handle = serializers.CharField()
    first = serializers.IntegerField()
    last = serializers.IntegerField()
    net_growth = serializers.IntegerField()
    last_captured_at = serializers.DateTimeField()


class EngagementSummarySerializer(serializers.Serializer):
    platforms = PlatformEngagementSerializer(many=True)
    followers = FollowerGrowthSerializer(many=True)


class EngagementSummaryView(APIView):
    permission_classes = [IsAuthenticated, IsAnalyst]

    @extend_schema(
        summary="Engagement rate per platform against its median benchmark",
        parameters=[
            OpenApiParameter("platform", OpenApiTypes.STR, enum=Platform.values),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
        ],
        responses={200: EngagementSummarySerializer, 400: PROBLEM},
    )
    def get(self, request):
        platform, since = _platform(request), _since(request)
        return Response(
            {
                "platforms": selectors.engagement_summary(platform, since),
                "followers": selectors.follower_growth(platform, since),
            }
        )
