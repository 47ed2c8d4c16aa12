"""POST /api/v1/analytics/utm-links: a consistently tagged link, for coordinators."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import utm
from analytics.api.serializers import UtmLinkRequestSerializer, UtmLinkSerializer
from core.api.permissions import IsCoordinator


class UtmLinkView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        operation_id="build_utm_link",
        summary="Tag a link with UTM parameters in the house vocabulary",
        request=UtmLinkRequestSerializer,
        responses={200: UtmLinkSerializer},
        tags=["analytics"],
    )
    def post(self, request):
        form = UtmLinkRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = dict(form.validated_data)
        try:
            url, tags, channel = utm.build_link(values.pop("url"), **values)
        except utm.InvalidLink as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        return Response({"url": url, "utm": tags, "channel": channel})
