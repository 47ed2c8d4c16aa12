"""The coordinator's curation endpoints: search, moderation, rights, product tags,
suggestions and creators' privacy requests. Thin over ugc.search and ugc.services."""

from __future__ import annotations

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django_filters import MultipleChoiceFilter
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.models import Product, ProductLine
from config.api.permissions import HasRole, IsCoordinator
from ugc import selectors
from ugc.api.filters import AssetFilter
from ugc.api.serializers import AssetSerializer
from ugc.models import (
    Asset,
    Creator,
    GrantMethod,
    InvalidTransition,
    RejectionReason,
    RightsRequest,
    RightsState,
)
from ugc.search.query import SearchRequest, search
from ugc.services import moderation, privacy, rights, tagging

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
    matched = serializers.DictField(
        help_text="Which parts matched and how: {text: {rank, score}, semantic: {rank, "
        "distance}, similar: {rank, distance}}."
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
    )
    if not (query.text.strip() or query.semantic.strip() or like is not None):
        raise ValidationError({"q": "give q, semantic or like"})
    hits = search(queryset, query)
    assets = selectors.asset_library().in_bulk([hit.asset_id for hit in hits])
    return [
        {"score": hit.score, "matched": hit.matched, "asset": assets[hit.asset_id]}
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
        "are fused by reciprocal rank and each says which part matched.",
    )
    def get(self, request):
        filterset = AssetFilter(data=request.query_params, queryset=Asset.objects.all())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        results = search_hits(request.query_params, filterset.qs)
        return Response(SearchResponseSerializer({"results": results}).data)


# -- moderation ----------------------------------------------------------------------------


class ModerationSerializer(SelectionSerializer):
    action = serializers.ChoiceField(choices=["approve", "reject", "review"])
    reason = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=RejectionReason.objects.filter(active=True),
        required=False,
        help_text="Rejection reason slug (required to reject).",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["action"] == "reject" and not attrs.get("reason"):
            raise ValidationError({"reason": "a rejection needs a reason"})
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


# -- rights ----------------------------------------------------------------------------------


class RightsRequestSerializer(serializers.ModelSerializer):
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


class RightsActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["request", "grant", "decline", "revoke"])
    via = serializers.ChoiceField(
        choices=GrantMethod.choices,
        required=False,
        help_text="How rights were granted (for grant).",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="The request's text; drafted from the template when left out.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        if attrs["action"] == "grant" and not attrs.get("via"):
            raise ValidationError({"via": "say how rights were granted"})
        return attrs


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
            if data["action"] == "request":
                rights.request_rights(asset, actor=request.user, message=data.get("message", ""))
            elif data["action"] == "grant":
                rights.grant(
                    asset, via=data["via"], actor=request.user, expires_at=data.get("expires_at")
                )
            elif data["action"] == "decline":
                rights.decline(asset, actor=request.user, note=data.get("note", ""))
            else:
                rights.revoke(asset, actor=request.user, note=data.get("note", ""))
        except InvalidTransition as exc:
            raise _conflict(exc) from exc
        except ValueError as exc:
            raise ValidationError({"expires_at": str(exc)}) from exc
        latest = asset.rights_requests.order_by("-requested_at", "-id").first()
        return Response(RightsRequestSerializer(latest).data if latest else {})


class ReplySerializer(serializers.Serializer):
    asset = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.select_related("creator"))
    author_handle = serializers.CharField(max_length=150)
    text = serializers.CharField(max_length=5000)
    replied_at = serializers.DateTimeField(required=False)


class ReplyOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=["granted", "no_open_request", "not_the_creator", "no_approval_hashtag"]
    )
    rights_state = serializers.ChoiceField(choices=RightsState.choices)


class RightsReplyView(APIView):
    """A platform integration feeds comments and replies here."""

    permission_classes = [IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="A creator's reply to a rights request",
        description="Grants rights when the reply is the asset's creator's and "
        "carries the approval hashtag; otherwise says why not.",
        request=ReplySerializer,
        responses=ReplyOutcomeSerializer,
    )
    def post(self, request):
        serializer = ReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcome = rights.handle_reply(
            asset=data["asset"],
            author_handle=data["author_handle"],
            text=data["text"],
            replied_at=data.get("replied_at"),
        )
        data["asset"].refresh_from_db()
        return Response({"outcome": outcome, "rights_state": data["asset"].rights_state})


# -- product tags and suggestions ----------------------------------------------------------


class ProductTagSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all())
    x = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)
    y = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1)

    def validate(self, attrs):
        if (attrs.get("x") is None) != (attrs.get("y") is None):
            raise ValidationError({"x": "a hotspot needs both x and y"})
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
