"""The photo-request funnel for analysts: /api/v1/outreach/funnel."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.permissions import IsAnalyst
from outreach import selectors


class FunnelQuerySerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=selectors.FUNNEL_GROUPS, default="all")
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class FunnelRowSerializer(serializers.Serializer):
    group = serializers.CharField()
    key = serializers.IntegerField(allow_null=True, help_text="Site or product line id")
    requests = serializers.IntegerField(help_text="E-mails sent")
    sent = serializers.IntegerField(help_text="Product links sent")
    clicked = serializers.IntegerField(help_text="Links opened at least once")
    uploaded = serializers.IntegerField()
    approved = serializers.IntegerField()
    published = serializers.IntegerField()
    revenue = serializers.DecimalField(
        max_digits=16,
        decimal_places=3,
        help_text="Storefront revenue the uploaded assets assisted (analytics' daily rollup)",
    )


class FunnelView(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        operation_id="outreach_funnel",
        summary="The photo-request funnel, in all or per site or product line",
        tags=["analytics"],
        parameters=[FunnelQuerySerializer],
        responses={200: FunnelRowSerializer(many=True)},
    )
    def get(self, request):
        query = FunnelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.funnel(**query.validated_data)
        return Response(FunnelRowSerializer(rows, many=True).data)
