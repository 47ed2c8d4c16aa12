"""The links' tokens: a batch's signer keyed once signs what Django's signing signs."""

from __future__ import annotations

import pytest
from django.core import signing

from outreach import links


@pytest.fixture
def frozen_clock(monkeypatch):
    # Both ways stamp the time: they must sign within the same second.
    monkeypatch.setattr(signing.time, "time", lambda: 1_700_000_000.0)


def test_tokens_are_the_ones_django_signing_makes(frozen_clock):
    addresses = links.Addresses()
    for request_id, product_id in [(1, 1), (48_213, 907), (2**40, 3)]:
        expected = signing.dumps(
            {"r": request_id, "p": product_id}, salt=links.UPLOAD_SALT, compress=True
        )
        assert links.upload_token(request_id, product_id) == expected
        assert addresses.click_url(request_id, product_id).endswith(f"/r/{expected}")
        assert links.unsubscribe_token(request_id) == signing.dumps(
            request_id, salt=links.UNSUBSCRIBE_SALT
        )


def test_a_token_signed_before_a_key_rotation_still_reads(frozen_clock, settings):
    settings.SECRET_KEY = "the-key-before-rotation-" * 3
    old = links.upload_token(5, 6)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-new-key-" * 6, [settings.SECRET_KEY]
    assert links.upload_token(5, 6) != old
    assert links.read_upload_token(old) == links.UploadLink(5, 6)
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(links.BadLink):
        links.read_upload_token(old)
