"""The attribution API: queue runs, read one run's credits, compare models for a range.

POST /api/v1/analytics/attribution/runs, GET .../runs/{id},
GET /api/v1/analytics/attribution/compare?from=&to=&level=. Analysts only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.api.kpis import day_field
from analytics.models import AttributionCredit, AttributionRun
from analytics.services.attribution_runs import (
    MAX_LOOKBACK_DAYS,
    MAX_RANGE_DAYS,
    MODEL_NAMES,
    queue_runs,
)
from core.api.permissions import IsAnalyst
from core.api.schema import problem_response

RUN_FIELDS = (
    "id",
    "model",
    "level",
    "date_from",
    "date_to",
    "lookback_days",
    "include_impressions",
    "currency",
    "parameters",
    "status",
    "progress",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "timings",
    "journeys",
    "conversions",
    "value",
    "unattributed_conversions",
    "unattributed_value",
)
OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)


class RunRequestSerializer(serializers.Serializer):
    models = serializers.ListField(
        child=serializers.ChoiceField(choices=MODEL_NAMES), min_length=1, max_length=8
    )
    level = serializers.ChoiceField(choices=AttributionRun.Level.values, default="channel")
    to = day_field()
    lookback_days = serializers.IntegerField(min_value=1, max_value=MAX_LOOKBACK_DAYS, default=30)
    include_impressions = serializers.BooleanField(default=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="")
    parameters = serializers.DictField(required=False, default=dict)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = day_field()  # a keyword in Python
        return fields

    def validate(self, attrs):
        if len(set(attrs["models"])) != len(attrs["models"]):
            raise ValidationError({"models": "name each model once."})
        if attrs["parameters"] and len(attrs["models"]) > 1:
            raise ValidationError({"parameters": "parameters need exactly one model."})
        return attrs


class CompareQuerySerializer(serializers.Serializer):
    to = day_field()
    level = serializers.ChoiceField(choices=AttributionRun.Level.values, default="channel")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = day_field()
        return fields


def run_body(run: AttributionRun, with_credits: bool = True) -> dict:
    body = {name: getattr(run, name) for name in RUN_FIELDS}
    if with_credits:
        body["credits"] = credits_of(run)
    return body


def credits_of(run: AttributionRun) -> dict[str, list[dict]]:
    """{level: [{key, conversions, value}]}, the largest value first."""
    out: dict[str, list[dict]] = {}
    rows = AttributionCredit.objects.filter(run=run).order_by("level", "-value", "key")
    for row in rows:
        out.setdefault(row.level, []).append(
            {"key": row.key, "conversions": row.conversions, "value": row.value}
        )
    return out


class RunsView(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        summary="Queue attribution runs",
        request=RunRequestSerializer,
        responses={202: OBJECT},
        description="One run per model over the conversions from `from` to `to` "
        f"(at most {MAX_RANGE_DAYS} days) at a touch level: `channel` (sessions), "
        "`gallery` or `asset` (sessions plus gallery interactions). Models: "
        f"{', '.join(MODEL_NAMES)}. `parameters` (one model only): position_based "
        "`first`, `last`; time_decay `half_life_days`; markov `order`. A Celery task on "
        "the analytics queue computes them; poll GET runs/{id} for status and progress.",
    )
    def post(self, request):
        query = RunRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        try:
            runs = queue_runs(
                models=data["models"],
                level=data["level"],
                date_from=data["from"],
                date_to=data["to"],
                lookback_days=data["lookback_days"],
                include_impressions=data["include_impressions"],
                currency=data["currency"],
                parameters=data["parameters"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        body = {"runs": [run_body(run, with_credits=False) for run in runs]}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class RunView(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        summary="An attribution run: status, progress, timings and credits",
        responses={200: OBJECT, 404: problem_response("No such run")},
        description="`credits` per level (channel; gallery and asset for those runs): "
        "conversions and value credited to each key. Each level adds up to the run's "
        "`conversions` and `value`; `(none)` is the part credited to touches that were "
        "not gallery (or asset) touches. Orders without any touch in their lookback are "
        "`unattributed_*`.",
    )
    def get(self, request, run_id: int):
        return Response(run_body(get_object_or_404(AttributionRun, pk=run_id)))


class CompareView(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(
        summary="Models side by side for one range",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("level", OpenApiTypes.STR, enum=AttributionRun.Level.values),
        ],
        responses={200: OBJECT},
        description="Each model's latest finished run for exactly this range and level, "
        "and per key the value each model credits it (`null`: no done run of that model).",
    )
    def get(self, request):
        query = CompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        runs = selectors.latest_finished_runs(data["from"], data["to"], data["level"])
        table: dict[str, dict[str, float | None]] = {}
        for model, run in runs.items():
            for row in AttributionCredit.objects.filter(run=run, level=data["level"]):
                table.setdefault(row.key, dict.fromkeys(runs))[model] = row.value
        return Response(
            {
                "from": data["from"],
                "to": data["to"],
                "level": data["level"],
                "runs": {model: run_body(run, False) for model, run in runs.items()},
                "values": [{"key": key, "values": values} for key, values in sorted(table.items())],
            }
        )
