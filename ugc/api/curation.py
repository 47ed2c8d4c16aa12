"""The coordinator's curation endpoints: search, moderation, rights, product tags,
suggestions and creators' privacy requests. Thin over ugc.search and ugc.services."""

from __future__ import annotations

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import MultipleChoiceFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.models import Product, ProductLine
from commerce.selectors import product_by_sku_or_title
from core.api.permissions import HasRole, IsCoordinator
from ugc import selectors
from ugc.api.filters import AssetFilter, asks_for_moderation_state
from ugc.api.serializers import AssetSerializer, RightsActionSerializer
from ugc.models import (
    Asset,
    Creator,
    GrantMethod,
    InvalidTransition,
    RejectionReason,
    RightsRequest,
    RightsState,
)
from ugc.selectors.search import SearchRequest, search
from ugc.services import bulk, moderation, privacy, rights, rights_queue, tagging

MAX_SELECTION = 10_000


def _conflict(exc: InvalidTransition) -> ValidationError:
    return ValidationError({"state": exc.messages})


# -- selections: explicit ids or a whole filtered query --------------------------------


class SelectionSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=MAX_SELECTION,
        help_text="Asset ids; or give `filter` instead.",
    )
    filter = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="The asset list's query parameters (product_line, platform, ...): "
        "the action applies to every asset the filtered query returns.",
    )

    def validate(self, attrs):
        if bool(attrs.get("ids")) == ("filter" in attrs):
            raise ValidationError({"ids": "give either ids or filter, not both or neither"})
        return attrs

    def assets(self):
        data = self.validated_data
        if data.get("ids"):
            return Asset.objects.filter(pk__in=data["ids"])
        filterset = AssetFilter(data=_query_dict(data["filter"]), queryset=Asset.objects.all())
        if not filterset.is_valid():
            raise ValidationError({f"filter.{k}": v for k, v in filterset.errors.items()})
        return filterset.qs


def _query_dict(values: dict[str, str]) -> QueryDict:
    """The list's query parameters from a JSON object; multi-valued ones may be
    comma-separated ("platform": "tiktok,instagram"), as in a URL."""
    query = QueryDict(mutable=True)
    for name, value in values.items():
        multiple = isinstance(AssetFilter.base_filters.get(name), MultipleChoiceFilter)
        query.setlist(name, value.split(",") if multiple else [value])
    return query


class SkippedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField())
    skipped = SkippedSerializer(many=True)


# -- search ------------------------------------------------------------------------------


class SearchHitSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="Reciprocal rank fusion score.")
    relevance = serializers.FloatField(
        help_text="0..1, of the best part: the share of the words matched, or the cosine "
        "similarity of the meaning."
    )
    matched = serializers.DictField(
        help_text="Which parts matched and how: {text: {rank, score, relevance}, semantic: "
        "{rank, distance, relevance}, similar: {rank, distance, relevance}}."
    )
    asset = AssetSerializer()


class SearchResponseSerializer(serializers.Serializer):
    results = SearchHitSerializer(many=True)


SEARCH_PARAMETERS = [
    OpenApiParameter("q", str, description="Full text (web search syntax)."),
    OpenApiParameter("semantic", str, description="A description to match by meaning."),
    OpenApiParameter("like", int, description="An asset id: more like this."),
    OpenApiParameter("lang", str, description="The query's language (stemming)."),
]


def wants_search(params) -> bool:
    return any((params.get(name) or "").strip() for name in ("q", "semantic", "like"))


def search_hits(params, queryset, *, default_limit: int = 24) -> list[dict]:
    """The search a request's parameters ask for, over an already filtered queryset:
    ``[{"score", "matched", "asset"}]`` best first; 400 naming a bad parameter. Shared
    by /assets/search, the asset list's ?q=/?semantic=/?like= and the workspace."""
    try:
        limit = int(params.get("limit", default_limit))
        like = int(params["like"]) if params.get("like") else None
    except ValueError as exc:
        raise ValidationError({"limit": "limit and like must be integers"}) from exc
    if not 1 <= limit <= 200:
        raise ValidationError({"limit": "limit must be between 1 and 200"})
    query = SearchRequest(
        text=params.get("q", ""),
        semantic=params.get("semantic", ""),
        like=like,
        language=params.get("lang") or None,
        limit=limit,
        include_rejected=asks_for_moderation_state(params),
    )
    if not (query.text.strip() or query.semantic.strip() or like is not None):
        raise ValidationError({"q": "give q, semantic or like"})
    hits = search(queryset, query)
    assets = selectors.asset_library().in_bulk([hit.asset_id for hit in hits])
    return [
        {
            "score": hit.score,
            "relevance": hit.relevance,
            "matched": hit.matched,
            "asset": assets[hit.asset_id],
        }
        for hit in hits
        if hit.asset_id in assets
    ]


class AssetSearchView(APIView):
    """Full text, semantic and "more like this" in one query, with the list's filters."""

    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Search assets",
        parameters=[
            *SEARCH_PARAMETERS,
            OpenApiParameter("limit", int, description="Results, 1 to 200 (24)."),
        ],
        responses=SearchResponseSerializer,
        description="Accepts every filter of the asset list too. With several parts, results "
        "are fused by reciprocal rank and each says which part matched. Rejected assets are "
        "left out unless moderation_state asks for them; a meaning with no near match "
        "finds nothing.",
    )
    def get(self, request):
        filterset = AssetFilter(data=request.query_params, queryset=Asset.objects.all())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        results = search_hits(request.query_params, filterset.qs)
        return Response(SearchResponseSerializer({"results": results}).data)


# -- moderation ----------------------------------------------------------------------------


def rejection_reason_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug",
        queryset=RejectionReason.objects.filter(active=True),
        error_messages={
            "required": _("a rejection needs a reason"),
            "does_not_exist": _("no active rejection reason {value!r}"),
        },
        **kwargs,
    )


class RejectionSerializer(serializers.Serializer):
    reason = rejection_reason_field()


class ModerationSerializer(SelectionSerializer):
    action = serializers.ChoiceField(choices=["approve", "reject", "review"])
    reason = rejection_reason_field(
        required=False, help_text="Rejection reason slug (required to reject)."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["action"] == "reject" and not attrs.get("reason"):
            raise ValidationError({"reason": gettext("a rejection needs a reason")})
        return attrs


class ModerateView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Approve, reject or send back to review, in bulk",
        request=ModerationSerializer,
        responses=BulkResultSerializer,
    )
    def post(self, request):
        serializer = ModerationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = moderation.bulk_moderate(
            serializer.assets(),
            data["action"],
            actor=request.user,
            reason=data.get("reason"),
            note=data.get("note", ""),
        )
        return Response(BulkResultSerializer(result).data)


# -- tags and rights requests on many assets ------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "description": "A product's SKU, or its exact title when one product has it.",
    }
)
class ProductReferenceField(serializers.Field):
    """A product named by its SKU, or by its exact title when only one product has it."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip():
            raise ValidationError(gettext("a product's SKU or name"))
        text = data.strip()[:200]
        product = product_by_sku_or_title(text)
        if product is None:
            none = gettext("no product with the SKU or the name %(given)r")
            raise ValidationError(none % {"given": text[:60]})
        return product

    def to_representation(self, value):
        return value.sku


class ProductPickSerializer(serializers.Serializer):
    product = ProductReferenceField()


class BulkTagSerializer(SelectionSerializer):
    product = ProductReferenceField(required=False)
    product_line = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ProductLine.objects.all(),
        required=False,
        error_messages={"does_not_exist": _("no product line {value!r}")},
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if ("product" in attrs) == ("product_line" in attrs):
            one = gettext("give a product or a product line, one of them")
            raise ValidationError({"product": one})
        return attrs


class BulkTagView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Tag many assets with a product or a product line",
        request=BulkTagSerializer,
        responses=BulkResultSerializer,
    )
    def post(self, request):
        serializer = BulkTagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "product" in data:
            result = bulk.tag_product(serializer.assets(), data["product"], actor=request.user)
        else:
            result = bulk.tag_product_line(
                serializer.assets(), data["product_line"], actor=request.user
            )
        return Response(BulkResultSerializer(result).data)


class BulkRightsView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Ask the creators of many assets for rights",
        description="Each asset that can be asked gets a request in its creator's language, "
        "queued and sent over time at the account's pace; the others are skipped with why.",
        request=SelectionSerializer,
        responses=BulkResultSerializer,
    )
    def post(self, request):
        serializer = SelectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = bulk.request_rights(serializer.assets(), actor=request.user)
        return Response(BulkResultSerializer(result).data)


# -- rights ----------------------------------------------------------------------------------


class RightsRequestSerializer(serializers.ModelSerializer):
    # "" until rights are granted: the schema must say so, not just the grant methods.
    granted_via = serializers.ChoiceField(
        choices=GrantMethod.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = RightsRequest
        fields = [
            "id",
            "asset",
            "creator",
            "state",
            "message",
            "approval_hashtag",
            "terms_url",
            "requested_at",
            "granted_via",
            "granted_at",
            "expires_at",
            "answered_at",
            "reply_text",
        ]
        read_only_fields = fields


class AssetRightsView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Request, grant, decline or revoke an asset's rights",
        request=RightsActionSerializer,
        responses=RightsRequestSerializer,
    )
    def post(self, request, pk):
        asset = get_object_or_404(Asset.objects.select_related("creator"), pk=pk)
        serializer = RightsActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            rights.act(
                asset,
                data["action"],
                actor=request.user,
                via=data.get("via", ""),
                terms=data.get("terms"),
                message=data.get("message", ""),
                note=data.get("note", ""),
            )
        except InvalidTransition as exc:
            raise _conflict(exc) from exc
        except ValueError as exc:
            raise ValidationError({"action": str(exc)}) from exc
        latest = asset.rights_requests.order_by("-requested_at", "-id").first()
        return Response(RightsRequestSerializer(latest).data if latest else {})


class ReplySerializer(serializers.Serializer):
    asset = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.select_related("creator"))
    author_handle = serializers.CharField(max_length=150, allow_blank=True)
    author_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    # Longer than any platform allows, so that the judge, not a 400, refuses a flood.
    text = serializers.CharField(max_length=100_000, allow_blank=True, trim_whitespace=False)
    comment_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    permalink = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    replied_at = serializers.DateTimeField(required=False)
    deleted = serializers.BooleanField(default=False)


class ReplyOutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField(
        help_text="grant, decline, or why the reply changed nothing (not the creator's "
        "account, answered without the approval hashtag, hidden control characters, ...)."
    )
    rights_state = serializers.ChoiceField(choices=RightsState.choices)


class RightsReplyView(APIView):
    """A platform integration feeds comments and replies here."""

    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="A creator's reply to a rights request",
        description="Judged as a webhook's reply is: grants rights only when the reply is "
        "the asset's creator's own and carries the approval hashtag in their own words "
        "(not in a link, a quote or a mention, no hidden characters); a plain refusal "
        "declines; anything else changes nothing and says why.",
        request=ReplySerializer,
        responses=ReplyOutcomeSerializer,
    )
    def post(self, request):
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        asset = data.pop("asset")
        outcome = rights_queue.handle_asset_reply(asset, **data)
        asset.refresh_from_db(fields=["rights_state"])
        return Response({"outcome": outcome, "rights_state": asset.rights_state})


# -- product tags and suggestions ----------------------------------------------------------


class ProductTagSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all())
    x = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
    y = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)

    def validate(self, attrs):
        if (attrs.get("x") is None) != (attrs.get("y") is None):
            raise ValidationError({"x": gettext("a hotspot needs both x and y")})
        return attrs


class AssetProductsView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Tag a product on an asset (with an optional hotspot)",
        request=ProductTagSerializer,
        responses=AssetSerializer,
    )
    def post(self, request, pk):
        asset = get_object_or_404(Asset, pk=pk)
        serializer = ProductTagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        tagging.tag_product(
            asset, data["product"], actor=request.user, x=data.get("x"), y=data.get("y")
        )
        return Response(AssetSerializer(selectors.asset_library().get(pk=pk)).data)


class AssetProductView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(summary="Remove a product tag", responses={204: None})
    def delete(self, request, pk, sku):
        asset = get_object_or_404(Asset, pk=pk)
        product = get_object_or_404(Product, sku=sku)
        if not tagging.untag_product(asset, product, actor=request.user):
            raise ValidationError({"product": f"{sku} is not tagged on asset {pk}"})
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProductLineTagSerializer(serializers.Serializer):
    product_line = serializers.SlugRelatedField(
        slug_field="slug", queryset=ProductLine.objects.all()
    )


class AssetProductLinesView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Tag a product line on an asset",
        request=ProductLineTagSerializer,
        responses=AssetSerializer,
    )
    def post(self, request, pk):
        asset = get_object_or_404(Asset, pk=pk)
        serializer = ProductLineTagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tagging.tag_product_line(
            asset, serializer.validated_data["product_line"], actor=request.user
        )
        return Response(AssetSerializer(selectors.asset_library().get(pk=pk)).data)


class SuggestionDecisionSerializer(SelectionSerializer):
    decision = serializers.ChoiceField(choices=["accept", "dismiss"])


class DecidedSerializer(serializers.Serializer):
    decided = serializers.IntegerField()


class SuggestionsView(APIView):
    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Accept or dismiss the pending tag suggestions of a selection",
        request=SuggestionDecisionSerializer,
        responses=DecidedSerializer,
    )
    def post(self, request):
        serializer = SuggestionDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = tagging.decide_suggestions(
            serializer.assets(),
            accept=serializer.validated_data["decision"] == "accept",
            actor=request.user,
        )
        return Response({"decided": count})


# -- creators' privacy requests ----------------------------------------------------------


class IsAdminRole(HasRole):
    roles = ()


class ErasedSerializer(serializers.Serializer):
    assets = serializers.IntegerField()
    renditions = serializers.IntegerField()
    files = serializers.IntegerField()


class CreatorExportView(APIView):
    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(
        summary="Export everything held about a creator (privacy request)",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk):
        creator = get_object_or_404(Creator, pk=pk)
        return Response(privacy.export_creator(creator, actor=request.user))


class CreatorEraseView(APIView):
    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(
        summary="Erase a creator, their assets and files (privacy request)",
        request=None,
        responses=ErasedSerializer,
    )
    def post(self, request, pk):
        creator = get_object_or_404(Creator, pk=pk)
        return Response(privacy.erase_creator(creator, actor=request.user))
