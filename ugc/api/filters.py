"""Filters and ordering of the asset list; the non-trivial parts live in ugc/selectors.py."""

from __future__ import annotations

import django_filters
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from core.api.filters import IsoDateTimeFilter
from ugc import selectors
from ugc.models import Asset, MediaType, ModerationState, Platform, ProcessingState, RightsState


def _values(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class AssetFilter(django_filters.FilterSet):
    product_line = django_filters.CharFilter(
        method="filter_product_line",
        help_text="Product line slug(s), comma-separated; includes their sub-lines and "
        "assets tagged with a product of those lines.",
    )
    product = django_filters.CharFilter(
        method="filter_product", help_text="Product SKU(s), comma-separated."
    )
    content_type = django_filters.CharFilter(
        field_name="content_type__slug", help_text="Content category slug."
    )
    platform = django_filters.MultipleChoiceFilter(
        field_name="source_platform", choices=Platform.choices, help_text="Source platform."
    )
    media_type = django_filters.ChoiceFilter(choices=MediaType.choices)
    processing_state = django_filters.MultipleChoiceFilter(choices=ProcessingState.choices)
    moderation_state = django_filters.MultipleChoiceFilter(choices=ModerationState.choices)
    rights_state = django_filters.MultipleChoiceFilter(choices=RightsState.choices)
    creator = django_filters.NumberFilter(field_name="creator_id", help_text="Creator id.")
    creator_handle = django_filters.CharFilter(
        method="filter_creator_handle", help_text="Creator handle, with or without @."
    )
    posted_after = IsoDateTimeFilter(field_name="posted_at", lookup_expr="gte")
    posted_before = IsoDateTimeFilter(field_name="posted_at", lookup_expr="lt")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    min_quality = django_filters.NumberFilter(
        field_name="quality_score", lookup_expr="gte", help_text="Quality score 0..1, at least."
    )

    class Meta:
        model = Asset
        fields: list[str] = []

    def filter_product_line(self, queryset, name, value):
        return selectors.in_product_lines(queryset, _values(value))

    def filter_product(self, queryset, name, value):
        return selectors.with_products(queryset, _values(value))

    def filter_creator_handle(self, queryset, name, value):
        return queryset.filter(creator__handle=value.strip().lstrip("@").lower())


def asks_for_moderation_state(params) -> bool:
    """Whether a request filters on moderation state: search shows rejected assets
    only then (a coordinator looking at what was rejected)."""
    return any(value.strip() for value in params.getlist("moderation_state"))


# Public ordering name -> the annotated sort key (ugc.selectors.with_sort_keys).
ORDERINGS = {
    "created_at": "created_at",
    "posted_at": "posted_sort",
    "quality_score": "quality_sort",
    "id": "id",
}


class AssetOrdering(BaseFilterBackend):
    """`?ordering=-posted_at` (default `-created_at`); cursor pagination follows it."""

    param = "ordering"
    default = "-created_at"

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.param, "").strip() or self.default
        name = raw.lstrip("-")
        if name not in ORDERINGS:
            raise ValidationError(
                {self.param: [f"one of {', '.join(sorted(ORDERINGS))}, optionally with '-'"]}
            )
        descending = raw.startswith("-")
        sign = "-" if descending else ""
        key = ORDERINGS[name]
        return (f"{sign}{key}",) if key == "id" else (f"{sign}{key}", f"{sign}id")

    def filter_queryset(self, request, queryset, view):
        return queryset.order_by(*self.get_ordering(request, queryset, view))

    def get_schema_operation_parameters(self, view):
        choices = sorted([*ORDERINGS, *(f"-{name}" for name in ORDERINGS)])
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": "Sort order; a leading '-' for descending. Default -created_at.",
                "schema": {"type": "string", "enum": choices},
            }
        ]
