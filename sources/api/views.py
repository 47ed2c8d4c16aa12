"""/api/v1/sources: the same services as the Sources screen, for coordinators."""

from __future__ import annotations

from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.permissions import IsCoordinator
from platforms.models import ConnectedAccount
from sources.api.serializers import AccountSerializer, RunSerializer, SourceSerializer
from sources.models import Source
from sources.services import manage


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsCoordinator]
    serializer_class = AccountSerializer
    queryset = ConnectedAccount.objects.order_by("pk")
    pagination_class = None


class SourceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsCoordinator]
    serializer_class = SourceSerializer
    queryset = Source.objects.select_related("account").prefetch_related("product_lines")
    pagination_class = None

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = manage.add_source(
                data["account"],
                data["kind"],
                data.get("query", ""),
                interval_seconds=data.get("interval_seconds"),
                product_lines=data.get("product_lines", []),
                auto_moderate=data.get("auto_moderate", False),
            )
        except manage.SourceRefused as exc:
            raise exceptions.ValidationError({"query": [str(exc)]}) from None

    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return Response(self.get_serializer(manage.set_paused(self.get_object(), True)).data)

    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return Response(self.get_serializer(manage.set_paused(self.get_object(), False)).data)

    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        manage.run_now(self.get_object())
        return Response({"queued": True}, status=202)

    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        runs = self.get_object().runs.all()[:50]
        return Response(RunSerializer(runs, many=True).data)
