"""Query filters for the catalog and order lists."""

import django_filters

from commerce import selectors
from commerce.models import (
    Availability,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductLine,
)
from core.api.filters import IsoDateTimeFilter


class ProductLineFilter(django_filters.FilterSet):
    parent = django_filters.NumberFilter(field_name="parent_id")
    root = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = ProductLine
        fields = ["slug", "parent", "root"]


class ProductFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter()
    handle = django_filters.CharFilter()
    q = django_filters.CharFilter(
        field_name="title", lookup_expr="icontains", label="Title contains"
    )
    availability = django_filters.ChoiceFilter(choices=Availability.choices)
    product_line = django_filters.CharFilter(
        method="filter_line", label="Product line slug; includes its sub-lines"
    )
    updated_after = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Product
        fields = ["sku", "handle", "availability"]

    def filter_line(self, queryset, name, value):
        ids = list(ProductLine.objects.filter(slug=value).values_list("id", flat=True))
        return queryset.filter(product_line_id__in=selectors.line_with_descendants(ids))


class OrderFilter(django_filters.FilterSet):
    shop = django_filters.CharFilter(field_name="shop__domain")
    shop_order_id = django_filters.CharFilter()
    created_after = IsoDateTimeFilter(field_name="created_at_shop", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at_shop", lookup_expr="lt")
    currency = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    financial_status = django_filters.CharFilter()
    utm_source = django_filters.CharFilter()
    utm_medium = django_filters.CharFilter()
    utm_campaign = django_filters.CharFilter()
    visitor_id = django_filters.CharFilter()
    customer = django_filters.NumberFilter(field_name="customer_id")
    sku = django_filters.CharFilter(method="filter_sku", label="Has a line with this SKU")
    product = django_filters.NumberFilter(
        method="filter_product", label="Has a line of this product"
    )
    unknown_product = django_filters.BooleanFilter(
        method="filter_unknown", label="Has a line whose SKU the catalog does not know"
    )

    class Meta:
        model = Order
        fields = ["shop_order_id", "currency", "status", "financial_status", "visitor_id"]

    def filter_sku(self, queryset, name, value):
        return queryset.filter(id__in=OrderLine.objects.filter(sku=value).values("order_id"))

    def filter_product(self, queryset, name, value):
        return queryset.filter(
            id__in=selectors.orders().filter(lines__product_id=value).values("id")
        )

    def filter_unknown(self, queryset, name, value):
        with_unknown = selectors.unknown_product_lines().values("order_id")
        return (
            queryset.filter(id__in=with_unknown) if value else queryset.exclude(id__in=with_unknown)
        )


class CustomerFilter(django_filters.FilterSet):
    visitor_id = django_filters.CharFilter(field_name="visitors__visitor_id")
    min_orders = django_filters.NumberFilter(field_name="order_count", lookup_expr="gte")
    ordered_after = IsoDateTimeFilter(field_name="last_order_at", lookup_expr="gte")

    class Meta:
        model = Customer
        fields = ["key_kind"]
