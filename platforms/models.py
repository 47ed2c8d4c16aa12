"""Accounts on the platforms that the brand connected, with their OAuth tokens.

Tokens are stored encrypted (core.crypto.EncryptedTextField) and never shown:
not in the admin, the API, the screens or the logs.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField


class AccountPlatform(models.TextChoices):
    INSTAGRAM_FACEBOOK_LOGIN = "instagram_facebook_login", _("Instagram (Facebook Login)")
    INSTAGRAM_LOGIN = "instagram_login", _("Instagram (Instagram Login)")
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"


INSTAGRAM_PLATFORMS = (AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN, AccountPlatform.INSTAGRAM_LOGIN)


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnecting")
    DISCONNECTED = "disconnected", _("Disconnected")


class AccountOwner(models.TextChoices):
    BRAND = "brand", _("The brand's")
    CREATOR = "creator", _("A creator's (connected through an invitation)")


class ConnectedAccount(models.Model):
    """One account connected through the platform's OAuth consent: the brand's own,
    or a creator's who accepted an invitation."""

    platform = models.CharField(max_length=30, choices=AccountPlatform.choices)
    external_id = models.CharField(max_length=200)  # IG user id, TikTok open_id, channel id
    handle = models.CharField(max_length=200, blank=True)
    owner = models.CharField(
        max_length=10, choices=AccountOwner.choices, default=AccountOwner.BRAND
    )
    scopes = models.JSONField(default=list, blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=500, blank=True)
    status_reason_message = models.JSONField(null=True, blank=True)  # core/reasons.py
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="connected_account_unique"
            )
        ]
        ordering = ["platform", "handle"]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} @{self.handle or self.external_id}"

    def __repr__(self) -> str:  # never the tokens
        return f"<ConnectedAccount {self.pk} {self.platform} {self.external_id}>"

    @property
    def is_instagram(self) -> bool:
        return self.platform in INSTAGRAM_PLATFORMS

    @property
    def is_creators(self) -> bool:
        return self.owner == AccountOwner.CREATOR

    @property
    def active(self) -> bool:
        return self.status == AccountStatus.ACTIVE
