"""Sources (what to collect from a connected account), their runs, the hashtag
budget ledger, items waiting for another try, and received webhooks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from commerce.models import ProductLine
from platforms.models import AccountPlatform, ConnectedAccount


class SourceKind(models.TextChoices):
    INSTAGRAM_HASHTAG = "instagram_hashtag", _("Instagram hashtag (recent and top)")
    INSTAGRAM_MENTIONS = "instagram_mentions", _("Instagram @mentions")
    INSTAGRAM_TAGS = "instagram_tags", _("Instagram photos the account is tagged in")
    INSTAGRAM_OWN_MEDIA = "instagram_own_media", _("Instagram account's own posts")
    TIKTOK_CREATOR_VIDEOS = "tiktok_creator_videos", _("TikTok creator's videos")
    YOUTUBE_SEARCH = "youtube_search", _("YouTube search")
    YOUTUBE_CHANNEL = "youtube_channel", _("YouTube channel")


# Which accounts can feed which kinds.
KIND_PLATFORMS = {
    SourceKind.INSTAGRAM_HASHTAG: {AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN},
    SourceKind.INSTAGRAM_MENTIONS: {AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN},
    SourceKind.INSTAGRAM_TAGS: {AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN},
    SourceKind.INSTAGRAM_OWN_MEDIA: {
        AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN,
        AccountPlatform.INSTAGRAM_LOGIN,
    },
    SourceKind.TIKTOK_CREATOR_VIDEOS: {AccountPlatform.TIKTOK},
    SourceKind.YOUTUBE_SEARCH: {AccountPlatform.YOUTUBE},
    SourceKind.YOUTUBE_CHANNEL: {AccountPlatform.YOUTUBE},
}
# Kinds that need a query (hashtag, search term, channel id).
QUERY_KINDS = {SourceKind.INSTAGRAM_HASHTAG, SourceKind.YOUTUBE_SEARCH, SourceKind.YOUTUBE_CHANNEL}


class Source(models.Model):
    account = models.ForeignKey(ConnectedAccount, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(max_length=30, choices=SourceKind.choices)
    query = models.CharField(max_length=200, blank=True)  # hashtag, search term or channel id
    interval_seconds = models.PositiveIntegerField(default=900)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Where each listing resumes ({"recent_media": "<cursor>", ...}); empty: from the newest.
    cursor = models.JSONField(default=dict, blank=True)
    # The platform's id for the query, once looked up (an Instagram hashtag id).
    platform_ref = models.CharField(max_length=100, blank=True)
    paused = models.BooleanField(default=False)
    product_lines = models.ManyToManyField(ProductLine, blank=True, related_name="sources")
    # Reject on arrival what breaks the library's auto-rules (blocked words, creators).
    auto_moderate = models.BooleanField(default=False)
    last_run_summary = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "query"], name="source_unique")
        ]
        ordering = ["kind", "query"]

    def __str__(self) -> str:
        label = SourceKind(self.kind).label
        return f"{label}: {self.query}" if self.query else str(label)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    STOPPED_EARLY = "stopped_early", _("Stopped early (resumes next time)")
    FAILED = "failed", _("Failed")
    INTERRUPTED = "interrupted", _("Interrupted (the worker stopped)")
    SKIPPED = "skipped", _("Skipped")


class SourceRun(models.Model):
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=20, default="schedule")  # schedule | manual | webhook
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True)  # in words, for a person
    error_message = models.JSONField(null=True, blank=True)  # to translate: core/reasons.py

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["source", "-started_at"], name="sourcerun_recent")]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.source_id}: {self.status}"

    def summary(self) -> str:
        text = f"{self.new_count} new, {self.updated_count} updated, {self.failed_count} failed"
        return f"{text}: {self.error}" if self.error else text


class HashtagSearch(models.Model):
    """One of the 30 unique hashtags an Instagram account may search in a rolling 7 days."""

    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.CASCADE, related_name="hashtag_searches"
    )
    hashtag = models.CharField(max_length=100)  # lower case, without "#"
    first_searched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "hashtag"], name="hashtag_search_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.hashtag} searched {self.first_searched_at:%Y-%m-%d}"


class FailedItem(models.Model):
    """A post a run could not bring in; tried again by later runs, then given up."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="failed_items")
    platform_id = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)  # what the listing said, to try again with
    reason = models.CharField(max_length=1000)
    reason_message = models.JSONField(null=True, blank=True)  # to translate: core/reasons.py
    attempts = models.PositiveIntegerField(default=1)
    gave_up = models.BooleanField(default=False)
    last_attempt_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "platform_id"], name="failed_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}: {self.reason}"


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """A webhook as received (raw body), stored before it is answered, processed after."""

    platform = models.CharField(max_length=20, default="instagram")
    body_sha256 = models.CharField(max_length=64, unique=True)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    reason = models.CharField(max_length=1000, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"webhook {self.pk} ({self.status})"


class CreatorInvite(models.Model):
    """A link a coordinator sends a creator to connect their TikTok account; used once."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    handle = models.CharField(
        max_length=200, blank=True
    )  # whom it is for, as the coordinator wrote
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    account = models.ForeignKey(
        ConnectedAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="invites"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation {self.pk}" + (f" for @{self.handle}" if self.handle else "")
