"""The signed links of a photo request: one per product, and one to unsubscribe.

A product link carries the request and the product, signed with SECRET_KEY and
stamped with the time it was made; it is good for OUTREACH_WINDOW_DAYS. The
unsubscribe link never expires: an old e-mail must still let a buyer leave.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.encoding import force_bytes

UPLOAD_SALT = "outreach.upload-link"
UNSUBSCRIBE_SALT = "outreach.unsubscribe"


class BadLink(Exception):
    """A link that cannot be used; `expired` tells an old link from a forged one, and
    `word` names the sentence the shopper's page gives in their language (wording.py)."""

    def __init__(self, message: str, *, word: str = "link_changed", expired: bool = False):
        super().__init__(message)
        self.word = word
        self.expired = expired


@dataclass(frozen=True)
class UploadLink:
    request_id: int
    product_id: int


class Signer(signing.TimestampSigner):
    """Django's timestamp signer (what `signing.dumps` uses) with its HMAC key derived
    once instead of for every token: the very same tokens, read by `signing.loads`.
    A batch signs three per e-mail."""

    def __init__(self, salt: str):
        super().__init__(salt=salt)
        # What django.utils.crypto.salted_hmac derives from the salt and SECRET_KEY.
        key = hashlib.sha256(force_bytes(self.salt + "signer") + force_bytes(self.key)).digest()
        self._mac = hmac.new(key, digestmod=hashlib.sha256)

    def signature(self, value, key=None):
        if key is not None and key != self.key:  # a fallback key, when reading
            return super().signature(value, key)
        mac = self._mac.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


def upload_token(request_id: int, product_id: int, signer: Signer | None = None) -> str:
    signer = signer or Signer(UPLOAD_SALT)
    return signer.sign_object({"r": request_id, "p": product_id}, compress=True)


def read_upload_token(token: str) -> UploadLink:
    """The request and product of a link, or BadLink saying why not."""
    try:
        data = signing.loads(token, salt=UPLOAD_SALT, max_age=settings.OUTREACH_WINDOW_DAYS * 86400)
    except signing.SignatureExpired:
        raise BadLink("This link has expired.", word="link_expired", expired=True) from None
    except signing.BadSignature:
        raise BadLink("This link is not valid: it was changed or cut short.") from None
    try:
        return UploadLink(int(data["r"]), int(data["p"]))
    except (KeyError, TypeError, ValueError):
        raise BadLink(
            "This link is not valid: it names no request.", word="link_no_request"
        ) from None


def unsubscribe_token(request_id: int, signer: Signer | None = None) -> str:
    return (signer or Signer(UNSUBSCRIBE_SALT)).sign_object(request_id)


def read_unsubscribe_token(token: str) -> int:
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        raise BadLink(
            "This unsubscribe link is not valid: it was changed or cut short.",
            word="unsubscribe_changed",
        ) from None


def absolute(path: str) -> str:
    return settings.OUTREACH_BASE_URL + path


def click_url(request_id: int, product_id: int) -> str:
    return Addresses().click_url(request_id, product_id)


def unsubscribe_url(request_id: int) -> str:
    return Addresses().unsubscribe_url(request_id)


class Addresses:
    """The links' URLs around their tokens, reversed and keyed once: a batch makes
    thousands."""

    _MARK = "TOKEN"

    def __init__(self):
        self.upload_signer = Signer(UPLOAD_SALT)
        self.unsubscribe_signer = Signer(UNSUBSCRIBE_SALT)
        self.click = absolute(reverse("outreach:click", args=[self._MARK])).split(self._MARK)
        self.unsubscribe = absolute(reverse("outreach:unsubscribe", args=[self._MARK])).split(
            self._MARK
        )

    def click_url(self, request_id: int, product_id: int) -> str:
        return upload_token(request_id, product_id, self.upload_signer).join(self.click)

    def unsubscribe_url(self, request_id: int) -> str:
        return unsubscribe_token(request_id, self.unsubscribe_signer).join(self.unsubscribe)


def upload_path(site_id: int | None, token: str) -> str:
    """The upload page for a link: the product preselected, the order attached."""
    return reverse("outreach:upload", args=[site_id or 0]) + "?token=" + token
