"""The asset API's shapes: what a coordinator reads, edits and uploads."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from ugc.models import (
    Asset,
    ContentCategory,
    Creator,
    GrantMethod,
    LicensedUse,
    MediaType,
    Platform,
    Rendition,
    every_use,
)
from ugc.services.licences import LicenceTerms
from ugc.territories import country_codes

STATE_FIELDS = ("processing_state", "moderation_state", "rights_state")


class CreatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Creator
        fields = ["id", "platform", "handle", "display_name", "profile_url", "follower_count"]


class RenditionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="image (a still) or video")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Rendition
        fields = ["kind", "format", "width", "height", "byte_size", "url"]

    def get_url(self, rendition) -> str:
        return rendition.file.url


class TaggedProductSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="product.id")
    sku = serializers.CharField(source="product.sku")
    title = serializers.CharField(source="product.title")
    source = serializers.CharField()
    hotspot_x = serializers.FloatField(allow_null=True)
    hotspot_y = serializers.FloatField(allow_null=True)


class TaggedProductLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="product_line.id")
    slug = serializers.CharField(source="product_line.slug")
    name = serializers.CharField(source="product_line.name")
    source = serializers.CharField()


_number = {"type": "number", "nullable": True}


@extend_schema_field(
    {
        "type": "object",
        "description": "The platform's counters when the source gave them.",
        "properties": {
            name: {"type": "integer"} for name in ("likes", "comments", "shares", "views")
        },
        "additionalProperties": True,
    }
)
class MetricsField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "object",
        "description": "Quality measures from the media pipeline (empty until measured); "
        "`parts` maps each to 0..1, the inputs of `quality_score`.",
        "properties": {
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "megapixels": _number,
            "aspect_ratio": _number,
            "sharpness": _number,
            "exposure_mean": _number,
            "clipped_shadows": _number,
            "clipped_highlights": _number,
            "contrast_rms": _number,
            "colorfulness": _number,
            "parts": {"type": "object", "additionalProperties": {"type": "number"}},
        },
        "additionalProperties": True,
    }
)
class QualityField(serializers.JSONField):
    """Passed through as the pipeline stores it, so a new measure never breaks a read."""


class ScorePartsSerializer(serializers.Serializer):
    """Null where the asset has no data for the part (it then weighs nothing)."""

    quality = serializers.FloatField(allow_null=True)
    relevance = serializers.FloatField()
    performance = serializers.FloatField(allow_null=True)
    social = serializers.FloatField(allow_null=True)
    freshness = serializers.FloatField()


class AssetScoreSerializer(serializers.Serializer):
    """Why an asset ranks where it does: the score, each part (0..1) with its weight, and
    the evidence behind the performance and social parts."""

    score = serializers.FloatField()
    parts = serializers.SerializerMethodField()
    weights = serializers.SerializerMethodField()
    impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    ctr = serializers.FloatField(help_text="Posterior mean click-through rate.")
    conversion_rate = serializers.FloatField(help_text="Posterior mean conversions per click.")
    revenue = serializers.FloatField(help_text="Attributed revenue, where available.")
    engagement_rate = serializers.FloatField(allow_null=True)
    model_version = serializers.CharField()
    computed_at = serializers.DateTimeField()

    @extend_schema_field(ScorePartsSerializer)
    def get_parts(self, score) -> dict:
        from ugc.scoring.parts import PARTS

        return {name: getattr(score, name) for name in PARTS}

    @extend_schema_field(ScorePartsSerializer)
    def get_weights(self, score) -> dict:
        from ugc.services.scoring import asset_weights

        return asset_weights(score)


@extend_schema_field(
    {"oneOf": [{"type": "string", "format": "uri"}, {"type": "string", "maxLength": 0}]}
)
class BlankableURLField(serializers.URLField):
    """A URL or "": an asset from an upload has no permalink, and "" is no URI."""


class AssetSerializer(serializers.ModelSerializer):
    # Null for an asset not yet categorised (the schema said a string: schemathesis).
    content_type = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    permalink = BlankableURLField(required=False, allow_blank=True, max_length=1000)
    # Null for an upload, which has no creator.
    creator = CreatorSerializer(read_only=True, allow_null=True)
    renditions = RenditionSerializer(many=True, read_only=True)
    srcset = serializers.SerializerMethodField(
        help_text="Image renditions as ready-made srcset strings, one per format."
    )
    products = TaggedProductSerializer(source="product_tags", many=True, read_only=True)
    product_lines = TaggedProductLineSerializer(
        source="product_line_tags", many=True, read_only=True
    )
    platform_metrics = MetricsField(read_only=True)
    quality = QualityField(read_only=True)
    score = serializers.SerializerMethodField(help_text="Null until the asset is scored.")

    class Meta:
        model = Asset
        fields = [
            "id",
            "media_type",
            "source_platform",
            "content_type",
            "creator",
            "caption",
            "hashtags",
            "mentions",
            "language",
            "alt_text",
            "permalink",
            "posted_at",
            "platform_id",
            "platform_metrics",
            "original_filename",
            "mime_type",
            "width",
            "height",
            "duration_seconds",
            "byte_size",
            "content_sha256",
            "duplicate_of",
            "placeholder",
            "dominant_colors",
            "quality",
            "quality_score",
            "score",
            "processing_state",
            "failure_reason",
            "moderation_state",
            "rights_state",
            "rights_expires_at",
            "tags",
            "products",
            "product_lines",
            "renditions",
            "srcset",
            "created_at",
            "updated_at",
            "processed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "example": {"webp": "/media/r/1-320.webp 320w, /media/r/1-640.webp 640w"},
        }
    )
    def get_srcset(self, asset) -> dict:
        by_format: dict[str, list[str]] = {}
        for rendition in asset.renditions.all():
            if rendition.kind == "image":
                by_format.setdefault(rendition.format, []).append(
                    f"{rendition.file.url} {rendition.width}w"
                )
        return {fmt: ", ".join(entries) for fmt, entries in by_format.items()}

    @extend_schema_field(AssetScoreSerializer(allow_null=True))
    def get_score(self, asset) -> dict | None:
        from ugc.models import AssetScore

        try:
            return AssetScoreSerializer(asset.score).data
        except AssetScore.DoesNotExist:
            return None


class AssetUpdateSerializer(serializers.Serializer):
    """Editable metadata. States change through their own actions, never here."""

    caption = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=500)
    content_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ContentCategory.objects.all(),
        required=False,
        allow_null=True,
        help_text="Content category slug.",
    )
    creator = serializers.PrimaryKeyRelatedField(
        queryset=Creator.objects.all(), required=False, allow_null=True, help_text="Creator id."
    )
    permalink = serializers.URLField(required=False, allow_blank=True, max_length=1000)
    posted_at = serializers.DateTimeField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    media_type = serializers.ChoiceField(choices=MediaType.choices, required=False)

    def validate(self, attrs):
        unknown = set(getattr(self, "initial_data", {}) or {}) - set(self.fields)
        if unknown:
            errors = {}
            for name in sorted(unknown):
                errors[name] = (
                    "states change through the moderation, rights and reprocess actions, "
                    "not through a metadata edit"
                    if name in STATE_FIELDS
                    else "not an editable field"
                )
            raise serializers.ValidationError(errors)
        return attrs


class UploadSerializer(serializers.Serializer):
    """One or many files (repeat `files`) with the metadata that applies to all of them."""

    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, max_length=255),
        allow_empty=False,
        max_length=100,
        help_text="The media files; repeat the field for several.",
    )
    platform = serializers.ChoiceField(choices=Platform.choices, default="upload")
    caption = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    creator_handle = serializers.CharField(required=False, allow_blank=True, max_length=150)
    creator_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    permalink = serializers.URLField(required=False, allow_blank=True, max_length=1000)
    posted_at = serializers.DateTimeField(required=False, allow_null=True)
    platform_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The platform's id of the post; only with a single file.",
    )
    language = serializers.CharField(required=False, allow_blank=True, max_length=16)
    content_type = serializers.SlugField(
        required=False, allow_blank=True, max_length=50, help_text="Content category slug."
    )
    product_skus = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    product_lines = serializers.ListField(
        child=serializers.SlugField(max_length=100), required=False, max_length=100
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate_content_type(self, value):
        if value and not ContentCategory.objects.filter(slug=value).exists():
            raise serializers.ValidationError(f"no content category {value!r}")
        return value

    def validate(self, attrs):
        if attrs.get("platform_id") and len(attrs["files"]) > 1:
            raise serializers.ValidationError(
                {"platform_id": "a platform id names one post: send one file with it"}
            )
        return attrs


class UploadResultSerializer(serializers.Serializer):
    filename = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "updated", "duplicate", "failed"])
    asset_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text="Why it failed, or was skipped.")
    warnings = serializers.ListField(child=serializers.CharField())


class UploadResponseSerializer(serializers.Serializer):
    results = UploadResultSerializer(many=True)
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    failed = serializers.IntegerField()


class ReprocessRequestSerializer(serializers.Serializer):
    asset_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=False, max_length=1000
    )


class ReprocessResponseSerializer(serializers.Serializer):
    asset_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Assets queued for the pipeline again."
    )
    not_found = serializers.ListField(child=serializers.IntegerField())


class ChoicesGivenOrNot(serializers.MultipleChoiceField):
    """A multiple choice that a form leaving it out does not send as an empty list: DRF
    reads an absent form field as [] (no checkbox ticked), which is not "left out"."""

    def get_value(self, dictionary):
        if self.field_name not in dictionary:
            return empty
        return super().get_value(dictionary)


class RightsActionSerializer(serializers.Serializer):
    """Request, grant, decline or revoke an asset's rights, with a grant's licence
    terms. The API and the workspace's rights forms both validate through it."""

    action = serializers.ChoiceField(choices=["request", "grant", "decline", "revoke"])
    via = serializers.ChoiceField(
        choices=GrantMethod.choices,
        required=False,
        help_text="How rights were granted (for grant).",
    )
    uses = ChoicesGivenOrNot(
        choices=LicensedUse.choices,
        required=False,
        help_text="What the licence allows (for grant); every use when left out.",
    )
    territory = serializers.ListField(
        child=serializers.CharField(max_length=10),
        required=False,
        max_length=250,
        help_text="ISO 3166 alpha-2 country codes (for grant); worldwide when empty.",
    )
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        input_formats=["iso-8601", "%Y-%m-%d"],
        help_text="The end of the licence's term (for grant); none when left out.",
    )
    paid_use = serializers.BooleanField(
        default=True, help_text="Whether paid media (ads) may use it (for grant)."
    )
    credit_required = serializers.BooleanField(
        default=False, help_text="Whether every use must credit the creator (for grant)."
    )
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="The request's text; drafted from the template when left out.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate_uses(self, value):
        if not value:
            raise serializers.ValidationError(gettext("a licence allows at least one use"))
        return sorted(value)

    def validate_territory(self, value):
        return country_codes(value)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError(gettext("a grant cannot expire in the past"))
        return value

    def validate(self, attrs):
        if attrs["action"] == "grant":
            if not attrs.get("via"):
                how = gettext("say how rights were granted")
                raise serializers.ValidationError({"via": how})
            attrs["terms"] = LicenceTerms(
                uses=attrs.get("uses") or every_use(),
                territory=attrs.get("territory") or [],
                ends_at=attrs.get("expires_at"),
                paid_use=attrs["paid_use"],
                credit_required=attrs["credit_required"],
            )
        return attrs
