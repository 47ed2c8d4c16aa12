"""API shapes. Money is a decimal string with its currency; a shop's secret never leaves."""

from __future__ import annotations

from rest_framework import serializers

from commerce.currencies import is_currency
from commerce.models import (
    Customer,
    Order,
    OrderLine,
    Product,
    ProductLine,
    Variant,
)


class ProductLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductLine
        fields = ["id", "slug", "name", "parent", "created_at", "updated_at"]
        read_only_fields = fields


class VariantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Variant
        fields = ["id", "sku", "options", "price"]
        read_only_fields = fields


class ProductSerializer(serializers.ModelSerializer):
    variants = VariantSerializer(many=True, read_only=True)
    # Null for a product in no product line.
    product_line_slug = serializers.SlugRelatedField(
        source="product_line", slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "handle",
            "title",
            "description",
            "product_line",
            "product_line_slug",
            "url",
            "image_url",
            "price",
            "currency",
            "availability",
            "variants",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "variants", "created_at", "updated_at"]

    def validate_currency(self, value: str) -> str:
        if value and not is_currency(value):
            raise serializers.ValidationError(f"unknown currency {value!r} (expected ISO 4217)")
        return value

    def validate(self, attrs):
        price = attrs.get("price", getattr(self.instance, "price", None))
        currency = attrs.get("currency", getattr(self.instance, "currency", ""))
        if price is not None and not currency:
            raise serializers.ValidationError({"currency": "is required when a price is given"})
        return attrs


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = [
            "position",
            "sku",
            "title",
            "product",
            "variant",
            "unknown_product",
            "quantity",
            "unit_price",
            "line_total",
        ]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="shop.domain", read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "shop",
            "shop_order_id",
            "name",
            "customer",
            "created_at_shop",
            "updated_at_shop",
            "currency",
            "subtotal",
            "discounts",
            "total",
            "refunded_amount",
            "status",
            "financial_status",
            "landing_page",
            "referrer",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "visitor_id",
            "source",
            "lines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerSerializer(serializers.ModelSerializer):
    visitor_ids = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "key_hash",
            "key_kind",
            "first_order_at",
            "last_order_at",
            "order_count",
            "visitor_ids",
        ]
        read_only_fields = fields

    def get_visitor_ids(self, customer) -> list[str]:
        return [visitor.visitor_id for visitor in customer.visitors.all()]


# -- webhooks (documentation of the bodies; parsing is commerce/ingest/payloads.py) -----------


class WebhookReceiptSerializer(serializers.Serializer):
    webhook_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["processed", "stale", "ignored"])
    duplicate = serializers.BooleanField(help_text="This delivery id was received before")
    order_id = serializers.IntegerField(allow_null=True, help_text="Our id of the order")


class ShopifyLineItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False)
    sku = serializers.CharField(required=False, allow_blank=True)
    title = serializers.CharField(required=False)
    quantity = serializers.IntegerField(min_value=1)
    price = serializers.CharField(help_text='Decimal string, e.g. "19.99"')
    total_discount = serializers.CharField(required=False)


class ShopifyAttributeSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField()


class ShopifyCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False)
    email = serializers.EmailField(required=False, help_text="Hashed with CUSTOMER_HASH_KEY")


class ShopifyOrderWebhookSerializer(serializers.Serializer):
    """Shopify's order (orders/create, orders/updated) or refund (refunds/create) body.

    Only the fields below are read; others are ignored.
    """

    id = serializers.IntegerField()
    name = serializers.CharField(required=False)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(required=False)
    currency = serializers.CharField(help_text="ISO 4217")
    subtotal_price = serializers.CharField(required=False)
    total_discounts = serializers.CharField(required=False)
    total_price = serializers.CharField()
    financial_status = serializers.CharField(required=False)
    cancelled_at = serializers.DateTimeField(required=False, allow_null=True)
    closed_at = serializers.DateTimeField(required=False, allow_null=True)
    email = serializers.EmailField(required=False)
    customer = ShopifyCustomerSerializer(required=False)
    landing_site = serializers.CharField(required=False, help_text="UTM parameters are read here")
    referring_site = serializers.CharField(required=False)
    note_attributes = ShopifyAttributeSerializer(
        many=True, required=False, help_text="The visitor id is read from _ugc_visitor_id"
    )
    line_items = ShopifyLineItemSerializer(many=True)

    class Meta:
        ref_name = "ShopifyOrderWebhook"


class GenericOrderLineSerializer(serializers.Serializer):
    sku = serializers.CharField(required=False, allow_blank=True)
    title = serializers.CharField(required=False)
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.CharField(help_text="Decimal string")
    line_total = serializers.CharField(required=False, help_text="Default: quantity x unit_price")


class GenericCustomerSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, help_text="Hashed; never stored")
    id = serializers.CharField(required=False, help_text="The shop's customer id")


class GenericOrderWebhookSerializer(serializers.Serializer):
    """The generic order webhook body (README: "Order webhooks")."""

    order_id = serializers.CharField()
    name = serializers.CharField(required=False)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField(
        required=False, help_text="Newer states win; an older one is ignored"
    )
    currency = serializers.CharField(help_text="ISO 4217")
    subtotal = serializers.CharField(required=False)
    discounts = serializers.CharField(required=False)
    total = serializers.CharField()
    refunded_amount = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=["open", "closed", "cancelled"], required=False)
    financial_status = serializers.CharField(required=False)
    landing_page = serializers.CharField(required=False)
    referrer = serializers.CharField(required=False)
    visitor_id = serializers.CharField(required=False)
    customer = GenericCustomerSerializer(required=False)
    lines = GenericOrderLineSerializer(many=True)

    class Meta:
        ref_name = "GenericOrderWebhook"
