"""Secrets at rest: encrypted with keys from the environment, rotatable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from core import crypto


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    return settings, old, new


def test_a_value_is_encrypted_and_read_back(keys):
    token = crypto.encrypt("EAAG-secret-token")
    assert "EAAG" not in token and crypto.decrypt(token) == "EAAG-secret-token"
    assert crypto.encrypt("EAAG-secret-token") != token  # a fresh IV each time


def test_a_new_key_in_front_reads_old_values_and_rotation_moves_them(keys):
    settings, old, new = keys
    token = crypto.encrypt("refresh-token")
    settings.ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "refresh-token"
    rotated = crypto.reencrypt(token)
    settings.ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "refresh-token"
    with pytest.raises(crypto.DecryptionFailed, match="no configured encryption key"):
        crypto.decrypt(token)


def test_a_malformed_key_is_a_configuration_error_that_says_how_to_make_one(settings):
    settings.ENCRYPTION_KEYS = ["not-a-key"]
    with pytest.raises(ImproperlyConfigured, match=r"Fernet\.generate_key"):
        crypto.encrypt("x")


def test_keyed_hashes_are_stable_per_purpose_and_reveal_nothing(settings):
    a = crypto.keyed_hash("ann@example.org", purpose="email")
    assert a == crypto.keyed_hash("ann@example.org", purpose="email")
    assert a != crypto.keyed_hash("ann@example.org", purpose="token")
    assert "ann" not in a and len(a) == 64
    settings.CUSTOMER_HASH_KEY = "another-key-" * 4
    assert crypto.keyed_hash("ann@example.org", purpose="email") != a
