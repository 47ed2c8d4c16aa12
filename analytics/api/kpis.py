"""The analysts' KPI API: /api/v1/analytics/kpis, /timeseries, /funnel, /clv and /spend.

Thin: validate the query, call a selector or service, answer JSON or CSV
(`?format=csv` or `Accept: text/csv`). Numbers come from the daily rollups that
Celery beat keeps, and today's from raw events, sessions and orders as asked
(analytics.selectors).
"""

from __future__ import annotations

import csv
import io

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.channels import CHANNELS
from analytics.kpis import Period, check_day
from analytics.services.spend import SpendFileError, import_spend
from core.api.permissions import IsAnalyst
from core.csvio import safe_row
from core.replica import replica_reads
from ugc.models import Platform

MAX_DAYS = 3 * 366
CORRELATION_NOTE = (
    "interacted_with_ugc vs no_ugc_interaction compares shoppers who clicked a gallery "
    "item (asset_click, lightbox_open, or a product_click from a gallery; buyers: within "
    "ANALYTICS_UGC_LOOKBACK_DAYS before ordering) with those who did not. It is "
    "correlation, not causation: shoppers who engage may have bought anyway. Causal lift "
    "is measured by experiments."
)


class CsvRenderer(BaseRenderer):
    """Any answer as two columns, the dotted path of each value and the value. A cell a
    spreadsheet would run as a formula (campaign names are user text) is quoted."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["field", "value"])
        for path, value in _flatten(data, ""):
            writer.writerow(safe_row([path, value]))
        return out.getvalue().encode()


def _flatten(value, prefix: str):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{prefix}.{index}")
    else:
        yield prefix, value


def _within_range(day) -> None:
    try:
        check_day(day)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def day_field() -> serializers.DateField:
    """A query's from or to: a date that a period may start or end on."""
    return serializers.DateField(validators=[_within_range])


class KpiQuerySerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=selectors.DIMENSIONS, default="all")
    key = serializers.CharField(required=False, max_length=200)
    # "from" is a Python keyword: the field is declared under its query name below.
    to = day_field()
    site = serializers.IntegerField(required=False, min_value=1)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = day_field()
        return fields

    def validate(self, attrs):
        start, end = attrs["from"], attrs["to"]
        if end < start:
            raise ValidationError({"to": "must be on or after from."})
        if (end - start).days >= MAX_DAYS:
            raise ValidationError({"to": f"a range is at most {MAX_DAYS} days."})
        attrs["key"] = _key(attrs["dimension"], attrs.get("key"))
        return attrs


def _key(dimension: str, key: str | None):
    if dimension == "all":
        if key:
            raise ValidationError({"key": "must be empty for dimension=all."})
        return None
    if not key:
        raise ValidationError({"key": f"is required for dimension={dimension}."})
    if dimension in ("asset", "product", "product_line"):
        if not key.isdigit() or not 0 < int(key) < 2**63:
            raise ValidationError({"key": f"must be the {dimension}'s numeric id."})
        return int(key)
    if dimension == "channel" and key not in CHANNELS:
        raise ValidationError({"key": f"must be one of: {', '.join(CHANNELS)}."})
    if dimension == "platform" and key not in Platform.values:
        raise ValidationError({"key": f"must be one of: {', '.join(Platform.values)}."})
    return key.lower() if dimension == "campaign" else key


QUERY_PARAMETERS = [
    OpenApiParameter("dimension", str, enum=selectors.DIMENSIONS, description="Default all."),
    OpenApiParameter(
        "key",
        str,
        description="The asset, product or product line id; the gallery slug; the platform, "
        "channel or campaign name. Empty for dimension=all.",
    ),
    OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day (UTC)."),
    OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last day, inclusive."),
    OpenApiParameter("site", int, description="One storefront site's id."),
    OpenApiParameter(
        "currency", str, description="Report revenue in this currency (default: most orders')."
    ),
    OpenApiParameter("format", str, enum=["json", "csv"], description="Or Accept: text/csv."),
]


class AnalystView(APIView):
    permission_classes = [IsAnalyst]
    renderer_classes = [JSONRenderer, CsvRenderer]

    def dispatch(self, request, *args, **kwargs):
        # Figures that may lag a little: read from the replica when there is one.
        with replica_reads():
            return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc):
        # Errors are problem details in JSON whatever format the client asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = "application/problem+json"
        return super().handle_exception(exc)

    def query(self) -> tuple[selectors.Slice, Period]:
        params = KpiQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        period = Period(data["from"], data["to"])
        currency = (data.get("currency") or "").upper() or selectors.main_currency(period)
        slice_ = selectors.Slice(data["dimension"], data["key"], data.get("site"), currency)
        return slice_, period


def _head(slice_: selectors.Slice) -> dict:
    return {
        "dimension": slice_.dimension,
        "key": slice_.key,
        "site": slice_.site_id,
        "currency": slice_.currency,
    }


FREE_FORM = OpenApiResponse(OpenApiTypes.OBJECT, description="JSON, or CSV with ?format=csv.")


class KpiView(AnalystView):
    @extend_schema(
        summary="KPIs across the funnel for a slice and period",
        parameters=QUERY_PARAMETERS,
        responses={200: FREE_FORM},
        description="Awareness, consideration, purchase and cost KPIs "
        "for the period, the previous period of equal length and the same dates a year "
        "earlier, with relative changes. A KPI the slice does not measure is null. "
        "For all, channel and campaign, `ugc_split` gives purchase KPIs for shoppers who "
        f"interacted with UGC and those who did not. {CORRELATION_NOTE}",
    )
    def get(self, request):
        slice_, period = self.query()
        body = {**_head(slice_), **selectors.kpi_report(slice_, period)}
        body["ugc_split"] = selectors.ugc_split(slice_, period)
        body["notes"] = {"ugc_split": CORRELATION_NOTE}
        return Response(body)


class TimeseriesView(AnalystView):
    @extend_schema(
        summary="The KPIs day by day",
        parameters=QUERY_PARAMETERS,
        responses={200: FREE_FORM},
        description="One entry per day with data; reach and visitors are per day.",
    )
    def get(self, request):
        slice_, period = self.query()
        return Response({**_head(slice_), "days": selectors.timeseries(slice_, period)})


class FunnelView(AnalystView):
    @extend_schema(
        summary="Impressions, clicks, sessions and orders with the rate between steps",
        parameters=QUERY_PARAMETERS,
        responses={200: FREE_FORM},
        description="Each step's count, the rate from the step before, and the count and "
        "relative change in the previous period of equal length.",
    )
    def get(self, request):
        slice_, period = self.query()
        steps = selectors.funnel_steps(slice_, period)
        return Response({**_head(slice_), "from": period.start, "to": period.end, "steps": steps})


class ClvView(AnalystView):
    @extend_schema(
        summary="Customer lifetime value: historical per cohort, and a predictive estimate",
        parameters=[p for p in QUERY_PARAMETERS if p.name in ("from", "to", "currency", "format")],
        responses={200: FREE_FORM},
        description="Historical: net revenue to date (orders less discounts and refunds) of "
        "the customers whose first order fell in each month of the period, per customer. "
        "Predicted: a simple ESTIMATE, average order value x orders per customer-year x "
        "expected lifespan from the observed repeat rate (1/(1 - repeat rate) years, at most "
        "10). It is not a fitted model.",
    )
    def get(self, request):
        slice_, period = self.query()
        if slice_.currency is None:
            return Response({"currency": None, "cohorts": [], "predicted": None})
        return Response(selectors.customer_lifetime_value(period=period, currency=slice_.currency))


class PlainTextParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return stream.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"body": "The CSV must be UTF-8."}) from None


class SpendResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Good rows read (a repeated key counts once).")
    written = serializers.IntegerField(help_text="Rows new or changed; 0 on a re-import.")
    errors = serializers.ListField(child=serializers.DictField(), help_text="{line, message}")


class SpendView(APIView):
    permission_classes = [IsAnalyst]
    parser_classes = [PlainTextParser]

    @extend_schema(
        summary="Import advertising spend (CSV)",
        request={"text/csv": OpenApiTypes.STR},
        responses={200: SpendResultSerializer},
        description="Columns date, channel, campaign, amount, currency; idempotent on "
        "(date, channel, campaign). Bad rows are listed with their line numbers and the "
        "good rows are kept; a file without one good row is a 400.",
    )
    def post(self, request):
        if not isinstance(request.data, str):
            raise ValidationError({"body": "Send the CSV as the body with Content-Type text/csv."})
        try:
            result = import_spend(request.data)
        except SpendFileError as exc:
            raise ValidationError({"body": str(exc)}) from None
        if result.errors and not result.rows:
            raise ValidationError({f"line {e['line']}": e["message"] for e in result.errors[:50]})
        return Response(result.summary())
