"""The operator's screens for the library. Writes go through the services: metadata edits
are audited by update_metadata, states change only through their services, and the
pipeline's outputs and the audit trail are read-only here."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from ugc.models import (
    Asset,
    AuditEntry,
    ContentCategory,
    Creator,
    ModerationRule,
    PrivacyRequest,
    RejectionReason,
    Rendition,
    RightsRequest,
    TaggingRule,
)
from ugc.services.assets import EDITABLE_FIELDS, update_metadata
from ugc.services.pipeline import reprocess

PIPELINE_FIELDS = [
    "original_filename",
    "mime_type",
    "width",
    "height",
    "duration_seconds",
    "byte_size",
    "content_sha256",
    "perceptual_hash",
    "duplicate_of",
    "placeholder",
    "dominant_colors",
    "quality_score",
    "quality",
    "media_info",
    "steps_done",
    "processed_at",
]
STATE_FIELDS = [
    "processing_state",
    "failure_reason",
    "moderation_state",
    "rights_state",
    "rights_expires_at",
]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RenditionInline(ReadOnlyInline):
    model = Rendition
    fields = ["kind", "format", "width", "height", "byte_size", "file"]
    readonly_fields = fields


class AuditInline(ReadOnlyInline):
    model = AuditEntry
    fields = ["at", "actor", "action", "changes", "note"]
    readonly_fields = fields
    ordering = ["-at"]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "media_type",
        "source_platform",
        "creator",
        "processing_state",
        "moderation_state",
        "rights_state",
        "quality_score",
        "created_at",
    ]
    list_filter = [
        "processing_state",
        "moderation_state",
        "rights_state",
        "media_type",
        "source_platform",
        "content_type",
    ]
    search_fields = [
        "caption",
        "original_filename",
        "creator__handle",
        "platform_id",
        "content_sha256",
    ]
    list_select_related = ["creator"]
    date_hierarchy = "created_at"
    raw_id_fields = ["creator", "duplicate_of"]
    fieldsets = [
        (None, {"fields": ["preview", "media_type", "source_platform", "content_type", "creator"]}),
        ("Text", {"fields": ["caption", "language", "alt_text", "tags", "hashtags", "mentions"]}),
        ("Source", {"fields": ["permalink", "posted_at", "platform_id", "source_url"]}),
        ("States", {"fields": STATE_FIELDS}),
        ("Pipeline", {"fields": PIPELINE_FIELDS, "classes": ["collapse"]}),
        ("Score", {"fields": ["score_parts"], "classes": ["collapse"]}),
    ]
    readonly_fields = [
        "score_parts",
        "preview",
        "hashtags",
        "mentions",
        "source_platform",
        "platform_id",
        "source_url",
        *STATE_FIELDS,
        *PIPELINE_FIELDS,
    ]
    inlines = [RenditionInline, AuditInline]
    actions = ["reprocess_assets"]

    def has_add_permission(self, request):
        return False  # assets come from uploads and imports (ugc/services/ingest.py)

    @admin.display(description="score and its parts")
    def score_parts(self, obj):
        """Why the asset ranks where it does (ugc.services.scoring); read-only."""
        from ugc.models import AssetScore
        from ugc.scoring.parts import PARTS

        try:
            score = obj.score
        except AssetScore.DoesNotExist:
            return "not scored yet"
        parts = ", ".join(f"{name} {getattr(score, name):.2f}" for name in PARTS)
        return (
            f"{score.score:.3f} ({parts}); {score.clicks} clicks in {score.impressions} "
            f"impressions, estimated CTR {score.ctr:.2%}; {score.model_version}"
        )

    @admin.display(description="preview")
    def preview(self, obj):
        rendition = obj.renditions.filter(kind="image", format="jpeg").order_by("width").first()
        if rendition is None:
            return "-"
        return format_html('<img src="{}" width="160" alt="">', rendition.file.url)

    def save_model(self, request, obj, form, change):
        # Through the service, so the edit is audited and captions are re-parsed.
        fields = {
            name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS
        }
        update_metadata(Asset.objects.get(pk=obj.pk), actor=request.user, **fields)

    @admin.action(description="Run the media pipeline again")
    def reprocess_assets(self, request, queryset):
        count = reprocess(list(queryset.values_list("pk", flat=True)), actor=request.user)
        self.message_user(request, f"Queued {count} asset(s) for processing.", messages.SUCCESS)


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin):
    list_display = ["asset", "kind", "format", "width", "height", "byte_size", "created_at"]
    list_filter = ["kind", "format", "width"]
    search_fields = ["asset__id", "file"]
    raw_id_fields = ["asset"]
    readonly_fields = ["asset", "kind", "format", "width", "height", "byte_size", "file"]

    def has_add_permission(self, request):
        return False  # made by the pipeline only


@admin.register(Creator)
class CreatorAdmin(admin.ModelAdmin):
    list_display = ["handle", "platform", "display_name", "follower_count", "updated_at"]
    list_filter = ["platform"]
    search_fields = ["handle", "display_name"]


@admin.register(ContentCategory)
class ContentCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "asset", "action", "actor"]
    list_filter = ["action"]
    search_fields = ["asset__id", "note", "action"]
    raw_id_fields = ["asset"]
    readonly_fields = ["asset", "actor", "action", "changes", "note", "at"]
    date_hierarchy = "at"

    # The trail is written by the services only and never edited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class WrittenByServicesAdmin(admin.ModelAdmin):
    """Records the services write (rights, privacy): to read, never to edit here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["label", "slug", "active"]
    list_filter = ["active"]
    search_fields = ["label", "slug"]
    prepopulated_fields = {"slug": ["label"]}


@admin.register(ModerationRule)
class ModerationRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "value", "reason", "active", "created_at"]
    list_filter = ["kind", "active", "reason"]
    search_fields = ["value"]


@admin.register(TaggingRule)
class TaggingRuleAdmin(admin.ModelAdmin):
    list_display = ["product_line", "kind", "value", "active"]
    list_filter = ["kind", "active", "product_line"]
    search_fields = ["value", "product_line__name"]


@admin.register(RightsRequest)
class RightsRequestAdmin(WrittenByServicesAdmin):
    list_display = ["asset", "creator", "state", "requested_at", "granted_via", "expires_at"]
    list_filter = ["state", "granted_via"]
    search_fields = ["asset__id", "creator__handle", "message"]
    date_hierarchy = "requested_at"


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(WrittenByServicesAdmin):
    list_display = ["at", "kind", "creator_ref", "actor", "counts"]
    list_filter = ["kind"]


# --- galleries -----------------------------------------------------------------------

from ugc.models import Gallery, GalleryPin, GalleryRecommendation, GalleryRule, Site  # noqa: E402
from ugc.services.galleries import site_brand  # noqa: E402
from ugc.territories import country_codes  # noqa: E402


class SiteAdminForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = [
            "name", "domain", "allowed_origins", "locale", "countries",
            "brand_colour", "brand_text_colour", "require_upload_email",
        ]  # fmt: skip

    def clean_countries(self):
        return country_codes(self.cleaned_data["countries"])

    def clean(self):
        cleaned = super().clean()
        colours = {k: cleaned.get(k) or "" for k in ("brand_colour", "brand_text_colour")}
        cleaned.update(site_brand(**colours))  # the workspace's checks, contrast included
        return cleaned


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    form = SiteAdminForm
    list_display = ["name", "domain", "locale", "countries", "publishable_key"]
    search_fields = ["name", "domain"]
    readonly_fields = ["publishable_key", "created_at", "updated_at"]


class GalleryPinInline(admin.TabularInline):
    model = GalleryPin
    extra = 0
    raw_id_fields = ["asset"]
    ordering = ["position", "id"]


class GalleryRuleInline(admin.StackedInline):
    model = GalleryRule
    extra = 0
    raw_id_fields = ["product_line", "product", "content_type"]


@admin.register(Gallery)
class GalleryAdmin(admin.ModelAdmin):
    list_display = ["slug", "site", "title", "layout", "ordering", "size", "product_page"]
    list_filter = ["site", "layout", "ordering", "product_page"]
    search_fields = ["slug", "title"]
    inlines = [GalleryPinInline, GalleryRuleInline]


@admin.register(GalleryRecommendation)
class GalleryRecommendationAdmin(admin.ModelAdmin):
    """A recommended gallery's exploration share is the coordinator's to set; the order
    itself is computed (ugc.tasks.score_gallery_orders) and shown read-only."""

    list_display = ["gallery", "exploration_share", "bucket", "computed_at"]
    fields = ["gallery", "exploration_share", "asset_ids", "bucket", "computed_at"]
    readonly_fields = ["asset_ids", "bucket", "computed_at"]
    raw_id_fields = ["gallery"]
