"""Shapes of the analytics API, for validation where it is cheap and for the schema."""

from rest_framework import serializers

from analytics.events import EVENT_TYPES, MAX_BATCH


class CollectEventSerializer(serializers.Serializer):
    """One event (documentation only: the collect view checks events in plain Python)."""

    event_id = serializers.UUIDField(help_text="A UUID made by the client: the idempotency key.")
    type = serializers.ChoiceField(choices=sorted(EVENT_TYPES))
    client_time = serializers.CharField(help_text="Epoch milliseconds or an ISO-8601 string.")
    visitor_id = serializers.CharField(max_length=64)
    session_id = serializers.CharField(max_length=64, required=False)
    page_url = serializers.URLField(max_length=2048, required=False)
    referrer = serializers.URLField(max_length=2048, required=False, allow_blank=True)
    asset_id = serializers.IntegerField(
        required=False, help_text="asset_impression, asset_click, lightbox_open"
    )
    gallery = serializers.CharField(max_length=100, required=False, help_text="gallery_view")
    product_sku = serializers.CharField(
        max_length=100, required=False, help_text="product_click, add_to_cart"
    )
    position = serializers.IntegerField(required=False, allow_null=True)
    value = serializers.DecimalField(
        max_digits=14, decimal_places=3, required=False, help_text="purchase"
    )
    currency = serializers.CharField(max_length=3, required=False, allow_null=True)
    experiment = serializers.CharField(max_length=100, required=False, allow_null=True)
    variant = serializers.CharField(max_length=100, required=False, allow_null=True)


class CollectBatchSerializer(serializers.Serializer):
    key = serializers.CharField(required=False, help_text="The publishable key (sendBeacon).")
    events = CollectEventSerializer(many=True, help_text=f"At most {MAX_BATCH}.")


class RejectedEventSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    reason = serializers.CharField()


class CollectReceiptSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events stored by this request.")
    duplicates = serializers.IntegerField(help_text="Events whose event_id was already stored.")
    rejected = RejectedEventSerializer(many=True)
    bots = serializers.IntegerField(help_text="Events of a known crawler: counted, not stored.")


class UtmLinkRequestSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2048)
    source = serializers.CharField(max_length=200, help_text="e.g. instagram")
    medium = serializers.CharField(max_length=200, help_text="e.g. social or paid_social")
    campaign = serializers.CharField(max_length=200, required=False, allow_blank=True)
    content = serializers.CharField(max_length=200, required=False, allow_blank=True)
    term = serializers.CharField(max_length=200, required=False, allow_blank=True)


class UtmLinkSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The URL with its UTM parameters.")
    utm = serializers.DictField(child=serializers.CharField())
    channel = serializers.CharField(help_text="The channel a visit through it will count as.")
