"""The coordinator's asset endpoints: thin over ugc.selectors and ugc.services."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from core.api.permissions import IsCoordinator
from core.api.schema import problem_response
from ugc import selectors
from ugc.api.curation import SEARCH_PARAMETERS, search_hits, wants_search
from ugc.api.filters import AssetFilter, AssetOrdering
from ugc.api.serializers import (
    AssetSerializer,
    AssetUpdateSerializer,
    ReprocessRequestSerializer,
    ReprocessResponseSerializer,
    UploadResponseSerializer,
    UploadSerializer,
)
from ugc.ingest.uploads import ingest_uploads, upload_item, use_capped_uploads
from ugc.models import Asset
from ugc.services import assets as asset_services
from ugc.services import pipeline


class AssetViewSet(GenericViewSet):
    """The asset library for coordinators."""

    permission_classes = [IsAuthenticated, IsCoordinator]
    serializer_class = AssetSerializer
    filter_backends = [DjangoFilterBackend, AssetOrdering]
    filterset_class = AssetFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.with_sort_keys(selectors.asset_library())

    @extend_schema(
        summary="List assets",
        parameters=SEARCH_PARAMETERS,
        description="Filtered, ordered, cursor-paginated (`?limit=`, `next`/`previous`). "
        "Renditions come inline with a ready-made `srcset` per format. With `q`, `semantic` "
        "or `like` the list is the search's best matches instead (up to `limit`, at most "
        "200, by relevance, one page), each with a `search` object saying what matched.",
    )
    def list(self, request):
        if wants_search(request.query_params):
            return self.search(request)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def search(self, request):
        filtered = DjangoFilterBackend().filter_queryset(request, Asset.objects.all(), self)
        results = []
        for hit in search_hits(request.query_params, filtered):
            item = self.get_serializer(hit["asset"]).data
            item["search"] = {"score": hit["score"], "matched": hit["matched"]}
            results.append(item)
        return Response({"next": None, "previous": None, "results": results})

    @extend_schema(summary="One asset")
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(get_object_or_404(self.get_queryset(), pk=pk)).data)

    @extend_schema(
        summary="Edit an asset's metadata",
        description="Only the fields below; states are not editable here (400 naming them).",
        request=AssetUpdateSerializer,
        responses={200: AssetSerializer},
    )
    def partial_update(self, request, pk=None):
        asset = get_object_or_404(Asset, pk=pk)
        serializer = AssetUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        asset_services.update_metadata(asset, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=asset.pk)).data)

    @extend_schema(
        summary="Delete an asset and its files",
        responses={204: OpenApiResponse(description="Deleted, with its original and renditions")},
    )
    def destroy(self, request, pk=None):
        asset_services.delete_asset(get_object_or_404(Asset, pk=pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Upload media files",
        description=(
            "multipart/form-data: repeat `files` for several files; the metadata fields apply "
            "to each. Every file gets its own result: `created`, `updated` (same platform id), "
            "`duplicate` (same bytes as an asset we have) or `failed` with a reason. "
            "201 when every file was created, 200 when none was created and none failed, "
            "207 when some failed or the outcomes are mixed."
        ),
        request={"multipart/form-data": UploadSerializer},
        responses={
            201: UploadResponseSerializer,
            200: UploadResponseSerializer,
            207: UploadResponseSerializer,
            413: problem_response("The request body is too large"),
        },
    )
    def create(self, request):
        use_capped_uploads(request)
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        files = data.pop("files")
        results = ingest_uploads(
            files, upload_item(data), actor=request.user, note="uploaded through the API"
        )
        counts = {key: 0 for key in ("created", "updated", "duplicate", "failed")}
        for result in results:
            counts[result["status"]] += 1
        if counts["created"] == len(results):
            code = status.HTTP_201_CREATED
        elif not counts["created"] and not counts["failed"]:
            code = status.HTTP_200_OK
        else:
            code = 207
        return Response({"results": results, **counts}, status=code)

    @extend_schema(
        summary="Run the media pipeline again for one asset",
        request=None,
        responses={
            202: ReprocessResponseSerializer,
            503: problem_response("Reprocessing is not available"),
        },
    )
    def reprocess(self, request, pk=None):
        asset = get_object_or_404(Asset, pk=pk)
        with transaction.atomic():
            pipeline.reprocess([asset.pk], actor=request.user)
        return Response({"asset_ids": [asset.pk], "not_found": []}, status=202)

    @extend_schema(
        summary="Run the media pipeline again for many assets",
        operation_id="assets_bulk_reprocess",
        request=ReprocessRequestSerializer,
        responses={
            202: ReprocessResponseSerializer,
            503: problem_response("Reprocessing is not available"),
        },
    )
    def bulk_reprocess(self, request):
        serializer = ReprocessRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = list(dict.fromkeys(serializer.validated_data["asset_ids"]))
        found = set(Asset.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        ids = [pk for pk in wanted if pk in found]
        if ids:
            with transaction.atomic():
                pipeline.reprocess(ids, actor=request.user)
        return Response(
            {"asset_ids": ids, "not_found": [pk for pk in wanted if pk not in found]},
            status=202,
        )
