"""The coordinator's and operator's screens for the catalog, shops and orders."""

from django import forms
from django.contrib import admin

from commerce.models import (
    Customer,
    CustomerVisitor,
    Order,
    OrderLine,
    Product,
    ProductLine,
    Refund,
    Shop,
    Variant,
    WebhookDelivery,
)
from commerce.services import catalog as catalog_service
from commerce.services import shops as shop_service
from commerce.signals import EMBEDDED_PRODUCT_FIELDS


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "sku", "product_line", "price", "currency", "availability"]
    list_filter = ["availability", "product_line"]
    search_fields = ["title", "sku", "handle"]
    inlines = [VariantInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        fields = set(form.changed_data) & EMBEDDED_PRODUCT_FIELDS
        if fields or not change:
            catalog_service.notify_product_changed([obj.pk], fields or EMBEDDED_PRODUCT_FIELDS)


class ShopForm(forms.ModelForm):
    # Never rendered back into the page; left empty on change, the secret stays.
    webhook_secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="The shop's signing secret. Leave empty to keep the current one.",
    )

    class Meta:
        model = Shop
        fields = ["name", "domain", "webhook_secret"]

    def clean_domain(self):
        return shop_service.clean_domain(self.cleaned_data.get("domain"))

    def clean_webhook_secret(self):
        secret = self.cleaned_data.get("webhook_secret")
        if not secret and not (self.instance and self.instance.webhook_secret):
            raise forms.ValidationError("A new shop needs its webhook secret.")
        return secret or self.instance.webhook_secret


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    form = ShopForm
    list_display = ["domain", "name", "created_at"]
    search_fields = ["domain", "name"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "position", "sku", "title", "product", "variant", "unknown_product",
        "quantity", "unit_price", "line_total",
    ]  # fmt: skip

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "name", "shop", "created_at_shop", "total", "currency", "refunded_amount", "status",
        "financial_status", "utm_source",
    ]  # fmt: skip
    list_filter = ["shop", "status", "financial_status", "currency", "source"]
    search_fields = ["shop_order_id", "name", "visitor_id", "utm_campaign"]
    date_hierarchy = "created_at_shop"
    raw_id_fields = ["customer"]
    inlines = [OrderLineInline]

    def get_readonly_fields(self, request, obj=None):
        # Orders are the shop's record; they change only through webhooks and imports.
        return [field.name for field in Order._meta.fields]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["key_hash", "key_kind", "order_count", "first_order_at", "last_order_at"]
    list_filter = ["key_kind"]
    search_fields = ["key_hash"]
    readonly_fields = ["key_hash", "key_kind", "order_count", "first_order_at", "last_order_at"]


@admin.register(CustomerVisitor)
class CustomerVisitorAdmin(admin.ModelAdmin):
    list_display = ["visitor_id", "customer", "first_seen_at", "last_seen_at"]
    search_fields = ["visitor_id"]
    raw_id_fields = ["customer"]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["shop_refund_id", "shop", "shop_order_id", "amount", "currency", "order"]
    search_fields = ["shop_refund_id", "shop_order_id"]
    raw_id_fields = ["order"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["webhook_id", "shop", "topic", "outcome", "received_at"]
    list_filter = ["outcome", "topic", "shop"]
    search_fields = ["webhook_id"]
    raw_id_fields = ["order"]
