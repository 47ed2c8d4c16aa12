"""Photo requests: one e-mail per eligible order, with one signed link per product.

The buyer's address is kept encrypted only while a request may still be sent
or clicked (its window), then erased; the keyed hash beside it stays for the
suppression list, which is checked before every send.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField


class RequestState(models.TextChoices):
    WAITING = "waiting", _("Waiting for fulfilment")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired unsent")


# A request in these states may still become an e-mail.
OPEN_STATES = (RequestState.WAITING, RequestState.QUEUED, RequestState.SENDING)


class PhotoRequest(models.Model):
    order = models.OneToOneField(
        "commerce.Order", on_delete=models.CASCADE, related_name="photo_request"
    )
    site = models.ForeignKey(
        "ugc.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=20, choices=RequestState.choices)
    email = EncryptedTextField(blank=True)  # erased when the window ends
    email_hash = models.CharField(max_length=64, blank=True, db_index=True)
    language = models.CharField(max_length=8, default="en")
    # Fixed before the first SMTP attempt: a re-send after a crash carries the same one.
    message_id = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(help_text="Fulfilment, or the order plus the fallback delay")
    window_ends_at = models.DateTimeField(help_text="Links expire and the address is erased")
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True, help_text="Why it failed or waits, in words")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(
                fields=["window_ends_at"],
                condition=~models.Q(email=""),
                name="outreach_request_address_kept",
            ),
            # The batch claim's walk in id order over what may be sent, however many
            # requests have been sent before.
            models.Index(
                fields=["id"],
                condition=models.Q(state__in=["queued", "sending"]),
                name="outreach_request_to_send",
            ),
        ]

    def __str__(self):
        return f"photo request {self.pk} ({self.state})"


class RequestLink(models.Model):
    """One product of a request: its signed link, and what came of it."""

    request = models.ForeignKey(PhotoRequest, on_delete=models.CASCADE, related_name="links")
    product = models.ForeignKey("commerce.Product", on_delete=models.CASCADE, related_name="+")
    first_clicked_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    # Set by the upload page when the buyer's photo arrives through this link.
    asset = models.ForeignKey(
        "ugc.Asset", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["request", "product"]
        constraints = [
            models.UniqueConstraint(fields=["request", "product"], name="outreach_link_unique")
        ]

    def __str__(self):
        return f"link {self.request_id}/{self.product_id}"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Hard bounce")
    COMPLAINED = "complained", _("Complaint")


class Suppression(models.Model):
    """An address never to write to again, known only by its keyed hash."""

    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=20, choices=SuppressionReason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email_hash[:12]} ({self.reason})"
