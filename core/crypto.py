"""Secrets and personal data at rest: encrypted with keys from the environment.

`ENCRYPTION_KEYS` holds one or more Fernet keys, comma-separated, newest first:
values are encrypted with the first and decrypted with any of them, so a key is
rotated by putting a new one in front, running `manage.py rotate_encryption`
(which re-encrypts every stored value with it), then removing the old one.
Development and tests derive a key from a fixed development secret; production
settings refuse to start without real keys.

`EncryptedTextField` stores a value encrypted; the plaintext exists only in
memory, never in the database, a dump or a query log. It cannot be searched or
ordered by: keep a keyed hash beside it when a lookup is needed
(`keyed_hash`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

INSECURE_DEV_ENCRYPTION_SECRET = "dev-only-encryption-secret-never-use-in-production"  # noqa: S105


class DecryptionFailed(Exception):
    """A stored value no configured key opens: a key was removed too early."""


def dev_key() -> str:
    digest = hashlib.sha256(INSECURE_DEV_ENCRYPTION_SECRET.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes), comma-separated; "
            "make one with python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from exc


def fernet() -> MultiFernet:
    keys = tuple(settings.ENCRYPTION_KEYS) or (dev_key(),)
    return _fernet(keys)


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("no configured encryption key opens this value") from exc


def reencrypt(token: str) -> str:
    """The same value under the newest key."""
    return fernet().rotate(token.encode()).decode()


def keyed_hash(value: str, *, purpose: str) -> str:
    """A stable, non-reversible lookup key for a secret or an address: HMAC-SHA256 with
    CUSTOMER_HASH_KEY (which must stay stable), separated per purpose."""
    root = settings.CUSTOMER_HASH_KEY.encode()
    key = hmac.new(root, purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Text stored encrypted (Fernet); blank stays blank so "no value" is visible."""

    description = "Text encrypted at rest with ENCRYPTION_KEYS"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def value_to_string(self, obj):
        # Serialisation (dumpdata) never writes the plaintext.
        return "<encrypted>"
