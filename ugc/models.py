"""The UGC library: creators, assets, renditions, tags and their audit trail.

State machines live here as data (the allowed transitions); the services in
ugc/services/ are the only code that changes a state, through
`Asset.check_transition()`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from pgvector.django import VectorField

from core.pages import Brand, default_brand

PHASH_BANDS_SQL = (
    "CASE WHEN %(expressions)s IS NULL THEN NULL ELSE ARRAY["
    "((%(expressions)s >> 48) & 65535)::integer, "
    "(65536 + ((%(expressions)s >> 32) & 65535))::integer, "
    "(131072 + ((%(expressions)s >> 16) & 65535))::integer, "
    "(196608 + (%(expressions)s & 65535))::integer] END"
)


class Platform(models.TextChoices):
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    FACEBOOK = "facebook", "Facebook"
    PINTEREST = "pinterest", "Pinterest"
    YOUTUBE = "youtube", "YouTube"
    X = "x", "X"
    # The same words are verbs elsewhere in the workspace ("Review", "Upload").
    REVIEW = "review", pgettext_lazy("source platform", "Review")
    UPLOAD = "upload", pgettext_lazy("source platform", "Upload")
    OTHER = "other", _("Other")


class MediaType(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


class ProcessingState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    # Processed and ready for a decision: moderation is its own state (ModerationState).
    IN_REVIEW = "in_review", _("Processed")
    FAILED = "failed", _("Failed")


class ModerationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RightsState(models.TextChoices):
    NOT_REQUESTED = "not_requested", _("Not requested")
    REQUESTED = "requested", _("Requested")
    GRANTED = "granted", _("Granted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class LicensedUse(models.TextChoices):
    """What a licence may allow the brand to do with an asset; each storefront path
    asks for its own (ugc.selectors.publishable_assets(use=...))."""

    WEBSITE = "website", _("Website and product pages")
    EMAIL = "email", _("Email")
    PAID_SOCIAL = "paid_social", _("Paid social ads")
    RETAIL_PARTNERS = "retail_partners", _("Retail partners' sites")
    PRINT = "print", _("Print and in-store")


def every_use() -> list[str]:
    return list(LicensedUse.values)


# state field -> {from: {allowed to}}. Anything else is refused.
TRANSITIONS: dict[str, dict[str, set[str]]] = {
    "processing_state": {
        ProcessingState.RECEIVED: {ProcessingState.PROCESSING, ProcessingState.FAILED},
        ProcessingState.PROCESSING: {
            ProcessingState.IN_REVIEW,
            ProcessingState.FAILED,
            ProcessingState.PROCESSING,
        },
        # Reprocessing starts again from either end state.
        ProcessingState.IN_REVIEW: {ProcessingState.PROCESSING},
        ProcessingState.FAILED: {ProcessingState.PROCESSING},
    },
    "moderation_state": {
        ModerationState.PENDING: {ModerationState.APPROVED, ModerationState.REJECTED},
        ModerationState.APPROVED: {ModerationState.REJECTED, ModerationState.PENDING},
        ModerationState.REJECTED: {ModerationState.APPROVED, ModerationState.PENDING},
    },
    "rights_state": {
        RightsState.NOT_REQUESTED: {RightsState.REQUESTED, RightsState.GRANTED},
        RightsState.REQUESTED: {
            RightsState.GRANTED,
            RightsState.DECLINED,
            RightsState.NOT_REQUESTED,
        },
        RightsState.GRANTED: {RightsState.REVOKED, RightsState.EXPIRED},
        RightsState.DECLINED: {RightsState.REQUESTED},
        RightsState.REVOKED: {RightsState.REQUESTED},
        RightsState.EXPIRED: {RightsState.REQUESTED, RightsState.GRANTED},
    },
}


class InvalidTransition(ValidationError):
    pass


def private_storage():
    """Originals go to the private storage (settings.STORAGES["private"])."""
    from django.core.files.storage import storages

    return storages["private"]


class Creator(models.Model):
    """Who made an asset, on one platform. One per platform and handle."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=150)  # stored without "@", lower case
    display_name = models.CharField(max_length=200, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True)
    follower_count = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="creator_platform_handle"),
        ]
        ordering = ["platform", "handle"]

    def __str__(self):
        return f"@{self.handle} ({self.platform})"


class ContentCategory(models.Model):
    """The managed vocabulary of content types: lifestyle, unboxing, flat-lay, ..."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "content categories"

    def __str__(self):
        return self.name


# The states of a publishable asset, less the clock (ugc.selectors.publishable_assets is
# the rule, and reads them from here): a partial index over them is one the rule's
# queries can use.
PUBLISHABLE_STATE_VALUES = {
    "processing_state": ProcessingState.IN_REVIEW.value,
    "moderation_state": ModerationState.APPROVED.value,
    "rights_state": RightsState.GRANTED.value,
}
PUBLISHABLE_STATES = Q(**PUBLISHABLE_STATE_VALUES)


class Asset(models.Model):
    """One photo or video in the library, with where it came from and its state."""

    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    source_platform = models.CharField(max_length=20, choices=Platform.choices)
    content_type = models.ForeignKey(
        ContentCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )
    creator = models.ForeignKey(
        Creator, null=True, blank=True, on_delete=models.SET_NULL, related_name="assets"
    )

    # What the creator wrote, and what we parse from it.
    caption = models.TextField(blank=True)
    hashtags = ArrayField(models.CharField(max_length=150), default=list, blank=True)
    mentions = ArrayField(models.CharField(max_length=150), default=list, blank=True)
    language = models.CharField(max_length=16, blank=True)  # BCP 47, e.g. "en", "pt-BR"
    alt_text = models.CharField(max_length=500, blank=True)

    # Where it lives on its platform.
    permalink = models.URLField(max_length=1000, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    platform_id = models.CharField(max_length=200, blank=True)  # the platform's own id
    source_url = models.URLField(max_length=2000, blank=True)  # where the media was fetched
    platform_metrics = models.JSONField(default=dict, blank=True)  # likes, comments, views...

    # The original file (private: never served) and what it is.
    original = models.FileField(storage=private_storage, max_length=500, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    byte_size = models.PositiveBigIntegerField(null=True, blank=True)
    # NULL until hashed; NULLs do not collide in the unique constraint.
    content_sha256 = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    perceptual_hash = models.BigIntegerField(null=True, blank=True)  # 64-bit pHash, signed
    # The pHash as 4 position-tagged 16-bit bands, GIN-indexed, so near-duplicate lookup
    # reads a few candidates instead of every row (why it is complete: ugc.media.measures,
    # whose phash_bands() computes the same keys).
    perceptual_hash_bands = models.GeneratedField(
        expression=Func(F("perceptual_hash"), template=PHASH_BANDS_SQL),
        output_field=ArrayField(models.IntegerField()),
        db_persist=True,
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="near_duplicates"
    )
    placeholder = models.CharField(max_length=100, blank=True)  # blurhash
    dominant_colors = ArrayField(models.CharField(max_length=7), default=list, blank=True)
    quality = models.JSONField(default=dict, blank=True)  # sharpness, exposure, contrast, ...
    quality_score = models.FloatField(null=True, blank=True)  # 0..1
    media_info = models.JSONField(default=dict, blank=True)  # codec, fps, format details
    # The brand-safety detector's finding: model, label -> score, and the verdict with
    # the labels behind it once the auto-rules have judged it (ugc/media/safety.py).
    safety = models.JSONField(default=dict, blank=True)

    # States.
    processing_state = models.CharField(
        max_length=20, choices=ProcessingState.choices, default=ProcessingState.RECEIVED
    )
    failure_reason = models.TextField(blank=True)  # in English: the API and the logs read it
    # The same reason as a msgid and its parameters, shown translated (core/reasons.py).
    failure_reason_message = models.JSONField(null=True, blank=True)
    moderation_state = models.CharField(
        max_length=20, choices=ModerationState.choices, default=ModerationState.PENDING
    )
    rights_state = models.CharField(
        max_length=20, choices=RightsState.choices, default=RightsState.NOT_REQUESTED
    )
    rights_expires_at = models.DateTimeField(null=True, blank=True)
    # The current licence's uses, territory and credit duty, kept with the asset by
    # ugc.services.licences so the storefront rule reads no ledger. An asset granted
    # without a licence entry (fixtures, bulk loads) is licensed for every use,
    # worldwide, as every grant was before licences had terms.
    licensed_uses = ArrayField(models.CharField(max_length=20), default=every_use, blank=True)
    # ISO 3166-1 alpha-2 codes; [] = worldwide.
    licensed_territory = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    credit_required = models.BooleanField(default=False)
    rejection_reason = models.ForeignKey(
        "RejectionReason", null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    # Pipeline step -> ISO time it completed; lets a rerun skip finished steps.
    steps_done = models.JSONField(default=dict, blank=True)

    product_lines = models.ManyToManyField(
        "commerce.ProductLine", through="ProductLineTag", related_name="assets", blank=True
    )
    products = models.ManyToManyField(
        "commerce.Product", through="ProductTag", related_name="assets", blank=True
    )
    tags = ArrayField(models.CharField(max_length=100), default=list, blank=True)  # free tags

    # Full text (ugc/search/): hashtags and product names weigh most, then the
    # creator and free tags, then the caption; kept by ugc.services.search_index.
    search_vector = SearchVectorField(null=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A re-import of the same post updates it instead of duplicating it.
            models.UniqueConstraint(
                fields=["source_platform", "platform_id"],
                condition=~Q(platform_id=""),
                name="asset_platform_id_unique",
            ),
            # Exact duplicates (same bytes) are skipped at ingestion.
            models.UniqueConstraint(fields=["content_sha256"], name="asset_content_sha256_unique"),
            models.CheckConstraint(
                condition=Q(quality_score__isnull=True)
                | Q(quality_score__gte=0, quality_score__lte=1),
                name="asset_quality_score_0_1",
            ),
        ]
        indexes = [
            models.Index(fields=["processing_state", "moderation_state", "rights_state"]),
            # The ids ride along so a filter by platform or content type hands search
            # its asset ids from the index alone (an index-only scan), not one heap page
            # per asset: half the time of a 1%-filtered exact vector scan at 1M assets.
            models.Index(
                fields=["source_platform", "-created_at"],
                include=["id"],
                name="asset_platform_newest",
            ),
            models.Index(
                fields=["content_type", "-created_at"], include=["id"], name="asset_content_newest"
            ),
            # Near-duplicates are found through the bands (ugc/services/duplicates.py);
            # nothing looks a pHash up by equality, so it has no B-tree of its own.
            GinIndex(fields=["perceptual_hash_bands"], name="asset_phash_bands_gin"),
            models.Index(fields=["-posted_at"]),
            GinIndex(fields=["hashtags"], name="asset_hashtags_gin"),
            GinIndex(fields=["tags"], name="asset_tags_gin"),
            GinIndex(fields=["search_vector"], name="asset_search_vector_gin"),
            # The workspace's reads on a large library (bench/workspace.py): the library's
            # default order, the review queue's oldest-first walk, rights expiring soon,
            # and facet counts read from the index alone instead of the wide rows.
            models.Index(fields=["-created_at", "-id"], name="asset_newest"),
            models.Index(
                fields=["processing_state", "moderation_state", "created_at", "id"],
                name="asset_review_queue",
            ),
            models.Index(fields=["rights_state", "rights_expires_at"], name="asset_rights_expiry"),
            models.Index(
                fields=[
                    "source_platform",
                    "media_type",
                    "moderation_state",
                    "rights_state",
                    "processing_state",
                    "content_type",
                    "quality_score",
                ],
                name="asset_facets",
            ),
            # A cold gallery page (ugc.selectors.gallery_page) walks the publishable
            # assets in the gallery's order and stops after a page, instead of sorting
            # every candidate: the same expressions as with_sort_keys(), newest first
            # and best score first, over the publishable states only.
            models.Index(
                Coalesce("posted_at", "created_at").desc(),
                F("id").desc(),
                name="asset_gallery_newest",
                condition=PUBLISHABLE_STATES,
            ),
            models.Index(
                Coalesce("quality_score", Value(-1.0)).desc(),
                Coalesce("posted_at", "created_at").desc(),
                F("id").desc(),
                name="asset_gallery_best",
                condition=PUBLISHABLE_STATES,
            ),
        ]

    def __str__(self):
        return f"Asset {self.pk} ({self.media_type}, {self.source_platform})"

    def check_transition(self, field: str, new_state: str) -> None:
        """Raise InvalidTransition unless `field` may move to `new_state`."""
        current = getattr(self, field)
        if new_state not in TRANSITIONS[field].get(current, set()):
            # The workspace shows this to the coordinator: in their words, not the codes.
            words = STATE_WORDS[field]
            states = {
                "field": words["field"],
                "current": state_label(words["states"], current),
                "new": state_label(words["states"], new_state),
            }
            raise InvalidTransition(
                gettext("%(field)s cannot go from '%(current)s' to '%(new)s'") % states,
                code="invalid_transition",
            )


STATE_WORDS = {
    "processing_state": {"field": _("processing"), "states": ProcessingState},
    "moderation_state": {"field": _("moderation"), "states": ModerationState},
    "rights_state": {"field": _("rights"), "states": RightsState},
}


def state_label(states, value: str) -> str:
    """A state as a badge names it, lower case to sit in a sentence; a value outside
    the choices as itself."""
    return str(states(value).label).lower() if value in states.values else value


class RenditionKind(models.TextChoices):
    IMAGE = "image", _("Image")  # a resized still (from an image, or a video's poster)
    VIDEO = "video", _("Video")  # a web-friendly video


class Rendition(models.Model):
    """A served version of an asset: one size in one format. Enough for a srcset."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="renditions")
    kind = models.CharField(max_length=10, choices=RenditionKind.choices)
    format = models.CharField(max_length=10)  # webp, jpeg, avif, mp4
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveIntegerField()
    file = models.FileField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "kind", "format", "width"], name="rendition_unique_size"
            ),
        ]
        ordering = ["asset", "kind", "format", "width"]

    def __str__(self):
        return f"{self.asset_id} {self.kind} {self.format} {self.width}w"


class TagSource(models.TextChoices):
    MANUAL = "manual", _("Tagged by a person")
    IMPORT = "import", _("From an import")
    SUGGESTED = "suggested", _("Suggested by the platform")


class ProductLineTag(models.Model):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="product_line_tags")
    product_line = models.ForeignKey(
        "commerce.ProductLine", on_delete=models.CASCADE, related_name="asset_tags"
    )
    source = models.CharField(max_length=20, choices=TagSource.choices, default=TagSource.MANUAL)
    confidence = models.FloatField(null=True, blank=True)  # for suggestions
    accepted = models.BooleanField(default=True)  # suggestions wait for a person
    dismissed = models.BooleanField(default=False)  # a dismissed suggestion is not made again
    reason = models.CharField(max_length=300, blank=True)  # why it was suggested
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "product_line"], name="asset_product_line"),
        ]

    def __str__(self):
        return f"{self.asset_id} → {self.product_line_id}"


class ProductTag(models.Model):
    """A product shown in an asset, with where it appears (a hotspot, 0..1)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="product_tags")
    product = models.ForeignKey(
        "commerce.Product", on_delete=models.CASCADE, related_name="asset_tags"
    )
    source = models.CharField(max_length=20, choices=TagSource.choices, default=TagSource.MANUAL)
    confidence = models.FloatField(null=True, blank=True)
    accepted = models.BooleanField(default=True)
    dismissed = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True)
    hotspot_x = models.FloatField(null=True, blank=True)
    hotspot_y = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "product"], name="asset_product"),
            models.CheckConstraint(
                condition=(Q(hotspot_x__isnull=True) & Q(hotspot_y__isnull=True))
                | (Q(hotspot_x__gte=0, hotspot_x__lte=1, hotspot_y__gte=0, hotspot_y__lte=1)),
                name="product_tag_hotspot_in_image",
            ),
        ]

    def __str__(self):
        return f"{self.asset_id} → {self.product_id}"


class AuditEntry(models.Model):
    """Who changed what on an asset, and when. Written by the services only."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="audit_trail")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )  # null: the system (a task, an import)
    action = models.CharField(max_length=50)  # "update", "tag_product", "approve", ...
    changes = models.JSONField(default=dict, blank=True)  # field -> [old, new]
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.action} on {self.asset_id} at {self.at:%Y-%m-%d %H:%M}"


class ImportKind(models.TextChoices):
    FOLDER = "folder", _("Folder")
    CSV = "csv", _("CSV file")
    INSTAGRAM = "instagram", _("Instagram export")
    TIKTOK = "tiktok", _("TikTok export")
    DEMO = "demo", _("Demo library")


class ImportRun(models.Model):
    """One run of an import (a folder, a CSV, a platform export), resumable.

    Items already done are recorded by their key, so a rerun skips them.
    """

    source = models.CharField(max_length=1000)  # the path or URL imported
    kind = models.CharField(max_length=30, choices=ImportKind.choices)
    fingerprint = models.CharField(max_length=64, unique=True)  # sha256 of kind + source
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)  # created, updated, skipped, failed

    def __str__(self):
        return f"{self.kind} import of {self.source}"


class ImportItem(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=500)  # row number, file path or platform id
    outcome = models.CharField(max_length=20)  # created, updated, duplicate, failed
    reason = models.TextField(blank=True)  # in English
    reason_message = models.JSONField(null=True, blank=True)  # to translate: core/reasons.py
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="import_item_key")]

    def __str__(self):
        return f"{self.key}: {self.outcome}"


class AssetEmbedding(models.Model):
    """An asset's vector under one embedding model.

    Vectors of several models may coexist (one per model name), so a change of
    model re-embeds the library while search goes on with the old vectors.
    The column has no fixed dimension; each model gets its own partial HNSW
    index over `vector::vector(N)` (ugc/search/indexes.py).
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="embeddings")
    model = models.CharField(max_length=100)  # e.g. "static:minilm-l6-static:256"
    vector = VectorField()
    source_hash = models.CharField(max_length=64)  # sha256 of the text embedded: skip if same
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "model"], name="asset_embedding_per_model"),
        ]
        indexes = [models.Index(fields=["model", "asset"])]

    def __str__(self):
        return f"{self.asset_id} under {self.model}"


class RejectionReason(models.Model):
    """The managed list of reasons an asset is rejected for."""

    slug = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]

    def __str__(self):
        return self.label


class ModerationRuleKind(models.TextChoices):
    BLOCKED_WORD = "blocked_word", _("Caption contains a blocked word")
    BLOCKED_CREATOR = "blocked_creator", _("Creator is blocked (platform:handle)")
    MIN_QUALITY = "min_quality", _("Quality score below a threshold")
    EXACT_DUPLICATE = "exact_duplicate", _("Near-duplicate of an existing asset")


class ModerationRule(models.Model):
    """An auto-rule that sends obvious cases straight to rejection, with its reason."""

    kind = models.CharField(max_length=20, choices=ModerationRuleKind.choices)
    value = models.CharField(max_length=200, blank=True)  # the word, handle or threshold
    reason = models.ForeignKey(RejectionReason, on_delete=models.PROTECT, related_name="rules")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"


class GrantMethod(models.TextChoices):
    HASHTAG_REPLY = "hashtag_reply", _("Creator replied with the approval hashtag")
    SIGNED_FORM = "signed_form", _("Signed form")
    PLATFORM_PERMISSION = "platform_permission", _("Platform-native permission")
    OWNED_CONTENT = "owned_content", _("Owned content")
    REVIEW_TERMS = "review_terms", _("Review terms")


class RequestStage(models.TextChoices):
    """Where a request's conversation stands (the rights inbox's tabs)."""

    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    GRANTED = "granted", _("Granted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")
    REVOKED = "revoked", _("Revoked")


OPEN_STAGES = (RequestStage.QUEUED, RequestStage.SENT, RequestStage.ANSWERED)


class Delivery(models.TextChoices):
    REPLY = "reply", _("Sent from the product")
    BY_HAND = "by_hand", _("To send by hand")


class RightsRequest(models.Model):
    """Asking a creator for the right to use an asset, and the answer.

    The asset's `rights_state` is the source of truth for publishing; this row
    keeps the conversation: the message, how and when rights were granted,
    declined, expired or revoked, and by whom.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="rights_requests")
    creator = models.ForeignKey(
        Creator, null=True, blank=True, on_delete=models.SET_NULL, related_name="rights_requests"
    )
    state = models.CharField(
        max_length=20, choices=RightsState.choices, default=RightsState.REQUESTED
    )
    message = models.TextField()
    approval_hashtag = models.CharField(max_length=100)
    terms_url = models.URLField(max_length=1000, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    granted_via = models.CharField(max_length=30, choices=GrantMethod.choices, blank=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)  # declined, expired or revoked
    reply_text = models.TextField(blank=True)  # the creator's reply that granted it

    # The conversation (ugc.services.rights_queue): how it goes out, when, and what came back.
    stage = models.CharField(
        max_length=20, choices=RequestStage.choices, default=RequestStage.QUEUED
    )
    language = models.CharField(max_length=8, blank=True)
    message_variant = models.PositiveSmallIntegerField(null=True, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.BY_HAND)
    delivery_reason = models.CharField(max_length=300, blank=True)
    account_key = models.CharField(max_length=200, blank=True)  # the brand account sending it
    target_id = models.CharField(max_length=200, blank=True)  # the media or comment answered
    comment_id = models.CharField(max_length=200, blank=True)  # our posted comment: its thread
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)  # unanswered until then: expired
    polled_at = models.DateTimeField(null=True, blank=True)  # its thread last read for replies
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_message = models.JSONField(null=True, blank=True)  # core/reasons.py
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            # The rights inbox: one stage, longest waiting first; and the send queue.
            models.Index(fields=["stage", "requested_at", "id"], name="rights_request_inbox"),
            # Its language filter in the same order, and the counts per stage under any
            # filter read from the index alone (the asset id joins the platform filter).
            models.Index(
                fields=["stage", "language", "requested_at", "id"],
                include=["asset_id"],
                name="rights_request_inbox_language",
            ),
            models.Index(
                fields=["account_key", "requested_at"],
                name="rights_request_queue",
                condition=Q(stage="queued", delivery="reply"),
            ),
            models.Index(fields=["comment_id"], name="rights_request_comment"),
            models.Index(fields=["state", "expires_at"]),
            # The rights screen's tab: one state, newest request first.
            models.Index(fields=["state", "-requested_at", "-id"], name="rights_request_tab"),
        ]

    def __str__(self):
        return f"rights for {self.asset_id}: {self.state}"


class SendingPace(models.Model):
    """The send queue's clock for one brand account: when it may post next, and
    until when the platform told it to stop (a rate-limit or spam block)."""

    account_key = models.CharField(max_length=200, primary_key=True)
    next_send_at = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    pause_reason_message = models.JSONField(null=True, blank=True)  # core/reasons.py

    def __str__(self):
        return f"pace of {self.account_key}"


class PrivacyRequest(models.Model):
    """That a creator's data was exported or erased: who asked, when, how much.

    It keeps no personal data: the creator row is gone after an erasure.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASE = "erase", _("Erase")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    creator_ref = models.CharField(max_length=100)  # "creator 42 (instagram)": no handle
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    counts = models.JSONField(default=dict)  # assets, renditions, files removed
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.kind} of {self.creator_ref} at {self.at:%Y-%m-%d}"


class ProductEmbedding(models.Model):
    """A product's vector (title, description, line) under one embedding model,
    kept here because the embedding service is the library's (commerce knows
    nothing of it); refreshed when commerce says a product changed."""

    product = models.ForeignKey(
        "commerce.Product", on_delete=models.CASCADE, related_name="embeddings"
    )
    model = models.CharField(max_length=100)
    vector = VectorField()
    source_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "model"], name="product_embedding_per_model"
            ),
        ]

    def __str__(self):
        return f"{self.product_id} under {self.model}"


class TaggingRule(models.Model):
    """Caption and hashtag rules that suggest a product line (managed in the admin)."""

    class Kind(models.TextChoices):
        HASHTAG = "hashtag", _("Hashtag")
        KEYWORD = "keyword", _("Word in the caption")

    product_line = models.ForeignKey(
        "commerce.ProductLine", on_delete=models.CASCADE, related_name="tagging_rules"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=100)  # without "#", any case
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product_line", "kind", "value"], name="tagging_rule"),
        ]

    def __str__(self):
        return f"{self.kind} {self.value} → {self.product_line_id}"


# --- Galleries: what a storefront shows -----------------------------------------------


def new_publishable_key() -> str:
    import secrets

    return "pk_live_" + secrets.token_urlsafe(24)


class Site(models.Model):
    """A storefront that shows galleries. Its publishable key is safe to put in a page:
    it only reads what is publishable anyway, from the origins allowed here."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=255, help_text="e.g. shop.example.com")
    allowed_origins = ArrayField(
        models.CharField(max_length=300),
        default=list,
        blank=True,
        help_text='Origins allowed to call the public API, e.g. "https://shop.example.com".',
    )
    publishable_key = models.CharField(
        max_length=100, unique=True, default=new_publishable_key, editable=False
    )
    locale = models.CharField(max_length=16, default="en", blank=True)
    # Where the storefront sells: it shows an asset licensed for a territory only when
    # every country here lies within it. None named: worldwide-licensed assets only.
    countries = ArrayField(
        models.CharField(max_length=2),
        default=list,
        blank=True,
        help_text="ISO 3166-1 alpha-2 codes of the countries this storefront serves, "
        "e.g. FR, BE; none: only assets licensed worldwide are shown.",
    )
    # The upload page's and photo-request e-mails' colours; blank: the settings' own
    # (BRAND_COLOUR, BRAND_TEXT_COLOUR). Checked together for contrast on save by
    # ugc.services.galleries.
    brand_colour = models.CharField(
        max_length=7, blank=True, help_text="Header and buttons, as #rrggbb; blank: the default."
    )
    brand_text_colour = models.CharField(
        max_length=7,
        blank=True,
        help_text="Text on the brand colour, as #rrggbb; blank: the default.",
    )
    require_upload_email = models.BooleanField(
        default=False, help_text="The upload page refuses a sending without an e-mail address."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def brand(self) -> Brand:
        """The brand as this storefront's shoppers see it."""
        return default_brand().with_colours(self.brand_colour, self.brand_text_colour)


class GalleryLayout(models.TextChoices):
    GRID = "grid", _("Grid")
    CAROUSEL = "carousel", _("Carousel")
    MASONRY = "masonry", _("Masonry")


class GalleryOrdering(models.TextChoices):
    MANUAL = "manual", _("Manual (pins, then newest)")
    NEWEST = "newest", _("Newest")
    BEST_SCORE = "best_score", _("Best quality score")
    RECOMMENDED = "recommended", _("Recommended (score, with exploration of new assets)")


class Gallery(models.Model):
    """Pins (chosen assets in order) then rule matches, only ever publishable ones."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="galleries")
    slug = models.SlugField(max_length=100)
    title = models.CharField(max_length=200, blank=True)
    layout = models.CharField(
        max_length=10, choices=GalleryLayout.choices, default=GalleryLayout.GRID
    )
    size = models.PositiveIntegerField(default=24, help_text="The most items it shows.")
    ordering = models.CharField(
        max_length=20, choices=GalleryOrdering.choices, default=GalleryOrdering.NEWEST
    )
    product_page = models.BooleanField(
        default=False,
        help_text="Takes ?product=SKU: that product's assets, then its line, then the brand.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["site", "slug"]
        verbose_name_plural = "galleries"
        constraints = [
            models.UniqueConstraint(fields=["site", "slug"], name="gallery_slug_per_site"),
            models.CheckConstraint(condition=Q(size__gte=1), name="gallery_size_positive"),
        ]

    def __str__(self):
        return f"{self.site} / {self.slug}"


class GalleryPin(models.Model):
    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="pins")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="gallery_pins")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["gallery", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["gallery", "asset"], name="gallery_pin_unique"),
        ]

    def __str__(self):
        return f"{self.gallery_id} #{self.position}: {self.asset_id}"


class GalleryRule(models.Model):
    """An asset matches a rule when it meets every condition set on it; a gallery
    shows the assets that match any of its rules."""

    gallery = models.ForeignKey(Gallery, on_delete=models.CASCADE, related_name="rules")
    product_line = models.ForeignKey(
        "commerce.ProductLine", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey(
        "commerce.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tags = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        help_text="Matches an asset with any of these free tags or hashtags.",
    )
    content_type = models.ForeignKey(
        ContentCategory, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    platform = models.CharField(max_length=20, choices=Platform.choices, blank=True)
    min_score = models.FloatField(null=True, blank=True, help_text="Minimum quality score, 0..1.")

    class Meta:
        ordering = ["gallery", "id"]

    def __str__(self):
        return f"rule {self.pk} of {self.gallery_id}"


# --- Scoring, performance and engagement (per-post metrics too) -------------------------


class AssetPerformance(models.Model):
    """What an asset did on the storefronts on one day, as one source computed it.

    Written only through ugc.services.performance.record_asset_performance(), which
    `analytics` calls (it may import ugc; ugc never imports analytics). One row per
    asset, day and source, replaced on each call, so a recomputation is idempotent.
    `updated_at` is the "new data since" marker that incremental rescoring reads.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="performance")
    day = models.DateField()
    source = models.CharField(max_length=50)  # e.g. "rollup", "attribution:markov"
    gallery_impressions = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    conversions = models.PositiveBigIntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "day", "source"], name="asset_performance_per_day_source"
            ),
            models.CheckConstraint(
                condition=Q(clicks__lte=models.F("gallery_impressions")),
                name="asset_performance_clicks_le_impressions",
            ),
            models.CheckConstraint(
                condition=Q(revenue__gte=0), name="asset_performance_revenue_non_negative"
            ),
        ]
        ordering = ["asset", "day", "source"]

    def __str__(self):
        return f"{self.asset_id} on {self.day} ({self.source})"


class AssetEngagementSnapshot(models.Model):
    """An asset's counters on its platform at one moment (Instagram insights, TikTok)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="engagement")
    captured_at = models.DateTimeField()
    impressions = models.PositiveBigIntegerField(null=True, blank=True)
    reach = models.PositiveBigIntegerField(null=True, blank=True)
    likes = models.PositiveBigIntegerField(default=0)
    comments = models.PositiveBigIntegerField(default=0)
    saves = models.PositiveBigIntegerField(default=0)
    shares = models.PositiveBigIntegerField(default=0)
    video_views = models.PositiveBigIntegerField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)  # the item as the platform sent it
    # When we last wrote it: the "new data since" marker for incremental rescoring.
    recorded_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "captured_at"], name="engagement_snapshot_per_time"
            ),
        ]
        ordering = ["asset", "-captured_at"]

    def __str__(self):
        return f"{self.asset_id} at {self.captured_at:%Y-%m-%d %H:%M}"

    @property
    def engagements(self) -> int:
        return self.likes + self.comments + self.saves + self.shares


class AccountFollowerSnapshot(models.Model):
    """An account's followers at one moment, for growth over time."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=150)  # without "@", lower case
    captured_at = models.DateTimeField()
    followers = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "handle", "captured_at"], name="follower_snapshot_per_time"
            ),
        ]
        ordering = ["platform", "handle", "-captured_at"]

    def __str__(self):
        return f"@{self.handle} ({self.platform}): {self.followers}"


class AssetScore(models.Model):
    """An asset's score and every part of it, so the API can say why it ranks where it does.

    Written in bulk by ugc.services.scoring; `ctr_alpha`/`ctr_beta` are the click-through
    rate's Beta posterior that gallery ordering samples from.
    """

    asset = models.OneToOneField(
        Asset, on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    score = models.FloatField(db_index=True)
    # Each part 0..1; NULL when there is no data for it (the score is then the weighted
    # mean of the other parts: ugc.scoring.parts.row_weights).
    quality = models.FloatField(null=True, blank=True)
    relevance = models.FloatField()
    performance = models.FloatField(null=True, blank=True)
    social = models.FloatField(null=True, blank=True)
    freshness = models.FloatField()
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    ctr_alpha = models.FloatField()
    ctr_beta = models.FloatField()
    conversion_rate = models.FloatField()  # posterior mean, per click
    revenue = models.FloatField(default=0)
    engagement_rate = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=40)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-score"]

    def __str__(self):
        return f"{self.asset_id}: {self.score:.3f}"

    @property
    def ctr(self) -> float:
        return self.ctr_alpha / (self.ctr_alpha + self.ctr_beta)


class ScoringRun(models.Model):
    """One rescoring: full (nightly) or incremental. The last one's `data_until` is the
    watermark incremental runs read from; a full run's priors are reused by the
    incremental runs after it, so a rerun gives the same scores."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full")
        INCREMENTAL = "incremental", _("Incremental")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    data_until = models.DateTimeField()
    priors = models.JSONField(default=dict, blank=True)
    assets = models.PositiveIntegerField(default=0)
    model_version = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self):
        return f"{self.kind} scoring at {self.finished_at:%Y-%m-%d %H:%M}"


class GalleryRecommendation(models.Model):
    """A recommended gallery's computed order for one time bucket, and its exploration share.

    Kept for a bucket so that caches hold and a shopper does not see the gallery reshuffle
    on each view; a task recomputes it when the bucket turns.
    """

    gallery = models.OneToOneField(
        "Gallery", on_delete=models.CASCADE, primary_key=True, related_name="recommendation"
    )
    exploration_share = models.FloatField(
        null=True,
        blank=True,
        help_text="Share of places given to learning about new assets, 0..0.5; "
        "empty: SCORING_EXPLORATION_SHARE.",
    )
    asset_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    bucket = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(exploration_share__isnull=True)
                | Q(exploration_share__gte=0, exploration_share__lte=0.5),
                name="gallery_exploration_share_bounded",
            ),
        ]

    def __str__(self):
        return f"recommended order of {self.gallery_id}"


class TermsVersion(models.Model):
    """The exact terms text a creator was shown, stored once and named by its SHA-256."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"terms {self.sha256[:12]}"


class LicenceEntryKind(models.TextChoices):
    GRANT = "grant", _("Grant")
    AMENDMENT = "amendment", _("Amendment")
    REVOCATION = "revocation", _("Revocation")
    EXPIRY = "expiry", _("Expiry")


class LicenceEntry(models.Model):
    """One line of the licence ledger: what was granted (or amended, revoked,
    expired), on what proof, chained to the line before by its hash.

    Append-only: the database refuses UPDATE and DELETE on this table (a trigger,
    migration 0012), and `manage.py verify_licences` recomputes the chain. The
    references to the asset, request and user carry no database constraint, so an
    erased asset leaves its licence history intact.
    """

    asset = models.ForeignKey(
        Asset,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="licence_entries",
    )
    kind = models.CharField(max_length=20, choices=LicenceEntryKind.choices)
    uses = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    territory = ArrayField(models.CharField(max_length=2), default=list, blank=True)  # [] = world
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    paid_use = models.BooleanField(default=False)
    credit_required = models.BooleanField(default=False)
    via = models.CharField(max_length=30, choices=GrantMethod.choices, blank=True)
    proof = models.JSONField(default=dict, blank=True)
    terms_version = models.ForeignKey(
        TermsVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request = models.ForeignKey(
        RightsRequest,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="licence_entries",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    recorded_at = models.DateTimeField()
    note = models.TextField(blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["asset", "-id"], name="licence_asset_latest")]

    def __str__(self):
        return f"{self.kind} for asset {self.asset_id}"
