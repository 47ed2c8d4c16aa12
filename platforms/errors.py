"""What a platform call can fail with, in the words a caller acts on.

Messages carry the platform's own code and message, never a token, a secret or
a URL with a token in it: they end up in logs and on screens.
"""

from __future__ import annotations


class PlatformError(Exception):
    """The platform refused or failed the call; `code` and `message` are the platform's."""

    def __init__(self, platform: str, message: str, *, code=None, status: int | None = None):
        self.platform = platform
        self.code = code
        self.message = message
        self.status = status
        super().__init__(f"{platform}: {message}" + (f" (code {code})" if code is not None else ""))


class TokenInvalid(PlatformError):
    """The access token expired, was revoked or never existed: the account needs reconnecting."""


class RateLimited(PlatformError):
    """Too many calls: try again after `retry_after` seconds (None when the platform gave none)."""

    def __init__(self, platform, message, *, retry_after: float | None = None, **kwargs):
        super().__init__(platform, message, **kwargs)
        self.retry_after = retry_after


class QuotaExceeded(RateLimited):
    """A daily quota is spent (YouTube's units); `retry_after` runs to the quota's reset."""


class HashtagBudgetExhausted(PlatformError):
    """The Instagram account searched its 30 unique hashtags of the rolling 7 days."""


class MediaGone(PlatformError):
    """The post or its media file no longer exists (deleted, or an expired media URL)."""


class PlatformUnavailable(PlatformError):
    """The platform answered 5xx or could not be reached; worth retrying later."""


class MalformedResponse(PlatformError):
    """Not the documented shape: not JSON, cut short, or a field of the wrong type."""
