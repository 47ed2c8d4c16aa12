"""The experiments API: create and list gallery experiments, read their results.

GET/POST /api/v1/analytics/experiments, GET .../experiments/{id},
GET .../experiments/{id}/results. Analysts only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.models import Experiment
from analytics.services.experiments import (
    PEEKING_WARNING,
    create_experiment,
    experiment_results,
)
from core.api.permissions import IsAnalyst
from core.api.schema import problem_response
from ugc.models import Gallery, Site

NOT_FOUND = problem_response("No such experiment")


class ExperimentVariantSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=100)
    weight = serializers.FloatField(min_value=0.0001, max_value=1_000_000)
    gallery = serializers.SlugField(
        max_length=100, required=False, allow_null=True, help_text="null: the holdout"
    )


class ExperimentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    site = serializers.IntegerField(min_value=1)
    key = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200, required=False, default="")
    placement = serializers.SlugField(max_length=100)
    metric = serializers.ChoiceField(choices=Experiment.Metric.values)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    variants = ExperimentVariantSerializer(many=True)

    def validate_site(self, value):
        site = Site.objects.filter(pk=value).first()
        if site is None:
            raise ValidationError(f"no site {value}.")
        return site

    def validate(self, attrs):
        for index, variant in enumerate(attrs["variants"]):
            slug = variant.get("gallery")
            if slug is None:
                continue
            gallery = Gallery.objects.filter(site=attrs["site"], slug=slug).first()
            if gallery is None:
                raise ValidationError({f"variants.{index}.gallery": f"no gallery {slug!r}."})
            variant["gallery"] = gallery
        return attrs


def experiment_body(experiment: Experiment) -> dict:
    return {
        "id": experiment.pk,
        "site": experiment.site_id,
        "key": experiment.key,
        "name": experiment.name,
        "placement": experiment.placement,
        "metric": experiment.metric,
        "starts_at": experiment.starts_at,
        "ends_at": experiment.ends_at,
        "variants": [
            {
                "name": v.name,
                "weight": v.weight,
                "gallery": v.gallery.slug if v.gallery_id else None,
            }
            for v in experiment.variants.all()
        ],
    }


class ExperimentsView(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        operation_id="analytics_experiments_list",
        summary="Experiments, newest first",
        # The body wraps the list; the schema said one experiment (schemathesis).
        responses={
            200: inline_serializer(
                "ExperimentList", {"experiments": ExperimentSerializer(many=True)}
            )
        },
    )
    def get(self, request):
        rows = Experiment.objects.prefetch_related("variants__gallery").order_by("-pk")[:500]
        return Response({"experiments": [experiment_body(e) for e in rows]})

    @extend_schema(
        summary="Start an experiment on a gallery slot",
        request=ExperimentSerializer,
        responses={201: ExperimentSerializer},
        description="The first variant is the control. A variant without `gallery` is the "
        "holdout: its visitors get an empty gallery. Visitors are assigned by hashing "
        "(experiment id, visitor id) into the cumulative split of the weights, so the same "
        "visitor always sees the same variant.",
    )
    def post(self, request):
        incoming = ExperimentSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        try:
            experiment = create_experiment(**data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        except IntegrityError:
            raise ValidationError({"key": "this site already has an experiment with it."}) from None
        return Response(experiment_body(experiment), status=status.HTTP_201_CREATED)


class ExperimentView(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(summary="One experiment", responses={200: ExperimentSerializer, 404: NOT_FOUND})
    def get(self, request, experiment_id: int):
        return Response(experiment_body(get_object_or_404(Experiment, pk=experiment_id)))


class ExperimentResultsView(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        summary="Per-variant visitors, conversions and revenue, each variant against control",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 404: NOT_FOUND},
        description="Visitors are those whose events carried the experiment and variant; "
        "their orders after first exposure count. Rates use a two-proportion z-test, "
        "revenue per visitor Welch's t-test; the difference has a 95% interval. "
        "Each variant's `estimate` is its own value of the metric with a 95% interval "
        "(Wilson's for rates, Student's t for revenue), null with too few visitors. "
        "`sample_ratio_mismatch` flags a split off its weights (chi-square p < 0.001). "
        f"`minimum_detectable_effect` is at 80% power for the sample so far. {PEEKING_WARNING}",
    )
    def get(self, request, experiment_id: int):
        experiment = get_object_or_404(
            Experiment.objects.prefetch_related("variants__gallery"), pk=experiment_id
        )
        return Response(experiment_results(experiment))
