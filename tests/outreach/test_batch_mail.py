"""The batch's e-mails, filled from templates rendered once, against `mail.render`."""

from __future__ import annotations

import email
from email import policy
from types import SimpleNamespace

import pytest
from django.core import signing

from commerce.models import Product
from outreach import batch_mail, mail
from outreach.services import requests, sending
from tests.outreach.conftest import contact

LANGUAGES = ["en", "fr", "de", "es", "it"]


def still_clock(monkeypatch) -> None:
    """Links are stamped with the time: both ways must sign within the same second. Only
    signing's clock stops: patching time.time itself would leave the lambda in whatever
    captured it meanwhile (DRF's throttles take `timer = time.time` on import)."""
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: 1_700_000_000.0))


def _parsed(data: bytes) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Headers unfolded (Message-ID and Date aside) and each part's type and text."""
    message = email.message_from_bytes(data, policy=policy.default)
    headers = sorted(
        (name, str(value).strip()) for name, value in message.items()
        if name not in ("Message-ID", "Date", "Content-Type")
    )  # fmt: skip
    headers.append(("Content-Type", message.get_content_type()))
    parts = [(part.get_content_type(), part.get_content()) for part in message.iter_parts()]
    return headers, parts


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_filled_message_is_the_rendered_one(make_order, monkeypatch, language):
    still_clock(monkeypatch)
    Product.objects.filter(sku="MUG-1").update(
        title="Mug <Ünïcode> & \"quoted\" 'one'", image_url="https://cdn.example/m.jpg?a=1&b=2"
    )
    order = make_order("#1001 <b>Ärger</b> & co")
    request = requests.record_contact(order.pk, contact("buyer@example.org"))
    request.language, request.message_id = language, "<photo-request.1.ab@example.org>"

    filled = batch_mail.Composer().compose(batch_mail.Outgoing.of(request))
    rendered = mail.render(request).message().as_bytes(linesep="\r\n")

    assert isinstance(filled, mail.Prepared) and filled.recipients == ["buyer@example.org"]
    assert _parsed(filled.data) == _parsed(rendered)
    assert b"Message-ID: <photo-request.1.ab@example.org>\r\n" in filled.data
    assert b"&lt;b&gt;" in filled.data and b"<b>\xc3\x84rger</b>" in filled.data


@pytest.mark.django_db
def test_each_sites_colours_in_its_messages(make_order, site, monkeypatch, settings):
    still_clock(monkeypatch)
    site.brand_colour = "#0b6e4f"
    site.save()
    ours = requests.record_contact(make_order("#1").pk, contact("a@example.org"))
    theirs = requests.record_contact(make_order("#2").pk, contact("b@example.org"))
    theirs.site = None  # an order no storefront claims: the settings' colours
    composer = batch_mail.Composer()
    for request, colour in ((ours, "#0b6e4f"), (theirs, settings.BRAND_COLOUR)):
        request.message_id = f"<photo-request.{request.pk}.ab@example.org>"
        filled = composer.compose(batch_mail.Outgoing.of(request))
        rendered = mail.render(request).message().as_bytes(linesep="\r\n")
        assert _parsed(filled.data) == _parsed(rendered)
        html = _parsed(filled.data)[1][1][1]
        assert f"background:{colour};color:{settings.BRAND_TEXT_COLOUR}" in html
    # The batch's claim reads each request's storefront colours with it.
    theirs.save()
    claimed = {request.pk: request.brand for request in sending.claim_batch(10)}
    assert claimed[ours.pk].colour == "#0b6e4f"
    assert claimed[theirs.pk].colour == settings.BRAND_COLOUR
