"""The storefront upload page: the form, the consent recorded as a licence with its
proof, signed links (verified buyer, the funnel's asset), and every refusal with a
clear answer. Ingestion is real; the pipeline's worker run is test_upload_corpus's."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from outreach import links, selectors
from outreach.models import RequestLink
from outreach.services import requests, sending
from outreach.services.suppression import email_hash
from outreach.services.uploads import CUSTOMER_UPLOAD, VERIFIED_BUYER
from tests.outreach.conftest import contact
from tests.support import media_files as mf
from ugc.models import (
    Asset,
    AssetPerformance,
    LicenceEntry,
    ModerationState,
    RequestStage,
    RightsState,
)
from ugc.services.licences import hashed_address


@pytest.fixture(autouse=True)
def _fresh_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def browser() -> Client:
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


def open_form(client: Client, url: str):
    page = client.get(url)
    assert page.status_code == 200, page.content[:500]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    return page, token.decode()


def photo_file(seed: int = 1, name: str = "me.jpg") -> SimpleUploadedFile:
    data = mf.jpeg_bytes(mf.photo(320, 240, seed=seed))
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def fields(token: str, **overrides) -> dict:
    data = {"csrfmiddlewaretoken": token, "name": "@jane", "caption": "Love it",
            "email": "jane@example.org", "terms": "on", "website": ""}  # fmt: skip
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_upload_lands_in_review_licensed_with_its_proof(site, make_order):
    make_order()  # the catalog's mugs
    client = browser()
    url = f"/upload/{site.publishable_key}/?product=MUG-1"
    page, token = open_form(client, url)
    assert b"I agree to these terms" in page.content and b"worldwide" in page.content
    two = [photo_file(1), photo_file(2, "b.jpg")]
    answer = client.post(url, fields(token, product="MUG-1", files=two))
    assert answer.status_code == 200, answer.content[:800]
    assert b"Thank you" in answer.content
    assets = list(Asset.objects.order_by("pk"))
    assert len(assets) == 2
    for asset in assets:
        assert asset.source_platform == "upload" and CUSTOMER_UPLOAD in asset.tags
        assert VERIFIED_BUYER not in asset.tags
        assert asset.moderation_state == ModerationState.PENDING  # never public unreviewed
        assert asset.rights_state == RightsState.GRANTED
        assert sorted(asset.licensed_uses) == ["email", "website"]
        assert list(asset.products.values_list("sku", flat=True)) == ["MUG-1"]
        entry = LicenceEntry.objects.get(asset=asset)
        assert entry.via == "signed_form" and entry.terms_version is not None
        assert entry.request.stage == RequestStage.GRANTED  # not waiting in the inbox
        assert entry.proof["terms_sha256"] == entry.terms_version.sha256
        assert entry.proof["address_hash"] == hashed_address("127.0.0.1")
        assert entry.proof["email_hash"] == email_hash("Jane@example.org ")
        assert "jane@example.org" not in str(entry.proof)
        assert "worldwide" in entry.terms_version.text


def test_the_page_speaks_the_shoppers_language(site):
    page = Client(HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9,en;q=0.5").get(f"/upload/{site.pk}/")
    assert page.status_code == 200 and b'lang="de"' in page.content
    assert "Ich stimme diesen Bedingungen zu" in page.content.decode()
    italian = Client(HTTP_ACCEPT_LANGUAGE="ja,it;q=0.8").get(f"/upload/{site.pk}/")
    assert "Accetto queste condizioni" in italian.content.decode()


def test_an_unchecked_box_or_missing_fields_are_named_and_keep_the_text(site):
    client = browser()
    url = f"/upload/{site.pk}/"
    _, token = open_form(client, url)
    answer = client.post(url, fields(token, terms=None, files=[photo_file()]))
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "Please tick the box to accept the terms" in text
    assert "Love it" in text and "choose your files again" in text  # nothing typed is lost
    no_name = client.post(url, fields(token, name="", email="not-an-address"))
    text = no_name.content.decode()
    assert no_name.status_code == 400
    assert "This field is required" in text and "valid email" in text
    assert "Choose at least one photo or video" in text
    unknown = client.post(url, fields(token, product="NOPE", files=[photo_file()]))
    assert unknown.status_code == 400 and b"We do not know this product" in unknown.content
    too_many = client.post(url, fields(token, files=[photo_file(n, f"{n}.jpg") for n in range(6)]))
    assert too_many.status_code == 400 and b"At most 5 files" in too_many.content
    assert not Asset.objects.exists()


def test_csrf_honeypot_origin_and_rate_limit_refuse_clearly(site, settings):
    settings.UPLOAD_LIMIT_PER_EMAIL = 2
    site.allowed_origins = ["https://shop.example"]
    site.save()
    client = browser()
    url = f"/upload/{site.pk}/"
    no_token = client.post(url, {"name": "x", "terms": "on", "files": [photo_file()]})
    assert no_token.status_code == 403
    _, token = open_form(client, url)
    bot = client.post(url, fields(token, website="http://spam.example", files=[photo_file()]))
    assert bot.status_code == 400 and b"could not be accepted" in bot.content
    foreign = client.post(
        url, fields(token, files=[photo_file()]), HTTP_ORIGIN="https://evil.example"
    )
    assert foreign.status_code == 403 and b"only from this page" in foreign.content
    assert not Asset.objects.exists()
    for seed in (1, 2):
        assert client.post(url, fields(token, files=[photo_file(seed)])).status_code == 200
    limited = client.post(url, fields(token, files=[photo_file(3)]))
    assert limited.status_code == 429 and b"Too many uploads" in limited.content
    assert Asset.objects.count() == 2


def test_a_site_that_requires_an_address_refuses_without_one_in_its_colours(site):
    site.brand_colour, site.brand_text_colour = "#ffcc00", "#111111"
    site.require_upload_email = True
    site.save()
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    url = f"/upload/{site.pk}/"
    page, token = open_form(client, url)
    text = page.content.decode()
    assert "background:#ffcc00;color:#111111" in text
    assert 'type="email" name="email" maxlength="254" required' in text
    assert "(facultatif)" not in text
    answer = client.post(url, fields(token, email="", files=[photo_file()]))
    assert answer.status_code == 400
    assert "Indiquez votre adresse e-mail." in answer.content.decode()
    assert "background:#ffcc00" in answer.content.decode()
    assert not Asset.objects.exists()
    sent = client.post(url, fields(token, files=[photo_file()]))
    assert sent.status_code == 200 and Asset.objects.count() == 1


def test_other_sites_keep_the_default_colours_and_an_optional_address(site, settings):
    other = type(site).objects.create(
        name="Other", domain="other.example", require_upload_email=True
    )
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/upload/{site.pk}/")
    text = page.content.decode()
    assert f"background:{settings.BRAND_COLOUR};color:{settings.BRAND_TEXT_COLOUR}" in text
    assert "(optional)" in text
    assert (
        "(optional)"
        not in Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/upload/{other.pk}/").content.decode()
    )


def test_cors_only_for_the_sites_origins(site):
    site.allowed_origins = ["https://shop.example"]
    site.save()
    ours = Client().get(f"/upload/{site.pk}/", HTTP_ORIGIN="https://shop.example")
    assert ours["Access-Control-Allow-Origin"] == "https://shop.example"
    theirs = Client().get(f"/upload/{site.pk}/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in theirs
    assert Client().get("/upload/pk_live_nope/").status_code == 404


def test_refused_files_get_reasons_and_the_accepted_one_goes_through(site):
    client = browser()
    url = f"/upload/{site.pk}/"
    _, token = open_form(client, url)
    zip_file = SimpleUploadedFile("x.jpg", mf.zip_bytes(), content_type="image/jpeg")
    empty = SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg")
    answer = client.post(url, fields(token, files=[photo_file(), zip_file, empty]))
    assert answer.status_code == 200
    statuses = re.findall(rb'data-status="(\w+)"', answer.content)
    assert statuses.count(b"created") >= 1
    for asset in Asset.objects.all():  # whatever was taken in is licensed
        assert asset.rights_state == RightsState.GRANTED


def test_oversize_files_are_refused_alone(site, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    client = browser()
    url = f"/upload/{site.pk}/"
    _, token = open_form(client, url)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * 20_000, content_type="image/jpeg")
    answer = client.post(url, fields(token, files=[big]))
    assert answer.status_code == 400 and b"over the 9.8 KB limit" in answer.content
    assert not Asset.objects.exists()


def _request_link(mailbox, make_order, site):
    request = requests.record_contact(make_order().pk, contact(locale="en"))
    request.site = site
    request.save(update_fields=["site"])
    sending.deliver(request.pk)
    link = RequestLink.objects.filter(request=request).order_by("product_id").first()
    return link, links.upload_token(link.request_id, link.product_id)


def test_a_signed_link_makes_a_verified_buyer_counted_by_the_funnel(mailbox, make_order, site):
    link, token = _request_link(mailbox, make_order, site)
    client = browser()
    url = links.upload_path(site.pk, token)
    page, csrf = open_form(client, url)
    assert b"verified buyer" in page.content and link.product.title.encode() in page.content
    # The product comes from the link, whatever the form says.
    answer = client.post(url, fields(csrf, product="MUG-2", files=[photo_file(7)]))
    assert answer.status_code == 200, answer.content[:800]
    asset = Asset.objects.get()
    assert VERIFIED_BUYER in asset.tags and CUSTOMER_UPLOAD in asset.tags
    assert list(asset.products.values_list("pk", flat=True)) == [link.product_id]
    link.refresh_from_db()
    assert link.asset_id == asset.pk
    proof = LicenceEntry.objects.get(asset=asset).proof
    assert proof["request_id"] == link.request_id and proof["order_id"] == link.request.order_id
    (row,) = selectors.funnel()
    assert row["uploaded"] == 1 and row["approved"] == 0 and row["revenue"] == 0
    for day, revenue in ((1, "12.50"), (2, "7.25")):
        AssetPerformance.objects.create(
            asset=asset, day=date(2026, 1, day), source="rollup", revenue=Decimal(revenue),
            updated_at=timezone.now(),
        )  # fmt: skip
    (row,) = selectors.funnel()
    assert row["revenue"] == Decimal("19.75") and row["uploaded"] == 1
    (by_line,) = selectors.funnel(group="product_line")
    assert by_line["key"] == link.product.product_line_id and by_line["revenue"] == Decimal("19.75")

    replayed = client.post(url, fields(csrf, files=[photo_file(8)]))
    assert replayed.status_code == 409 and b"already used" in replayed.content
    tampered = client.get(url[:-4] + "abcd")
    assert tampered.status_code == 400 and b"not valid" in tampered.content
    elsewhere = client.get(links.upload_path(site.pk + 1000, token))
    assert elsewhere.status_code == 404
    assert Asset.objects.count() == 1


def test_files_arrive_through_the_capped_handler_and_nul_fields_are_refused(site, monkeypatch):
    # The NUL check reads the form body before the view runs: it must install the page's
    # capped handler first, or the cap would not hold while receiving.
    from ugc.ingest.uploads import CappedUploadHandler

    caps = []
    complete = CappedUploadHandler.file_complete

    def spy(handler, file_size):
        caps.append(handler.cap)
        return complete(handler, file_size)

    monkeypatch.setattr(CappedUploadHandler, "file_complete", spy)
    client = browser()
    url = f"/upload/{site.pk}/"
    _, token = open_form(client, url)
    answer = client.post(url, fields(token, files=[photo_file()]))
    assert answer.status_code == 200
    assert caps == [settings.UPLOAD_MAX_BYTES]
    nul = client.post(url, fields(token, caption="a\x00b", files=[photo_file(2)]))
    assert nul.status_code == 400 and "NUL character" in nul.content.decode()
    assert Asset.objects.count() == 1


def test_a_licence_that_cannot_be_recorded_keeps_neither_the_asset_nor_its_file(
    site, monkeypatch, tmp_path
):
    import hashlib

    from django.core.files.storage import FileSystemStorage

    from outreach.services import uploads
    from ugc.services import rights

    storage = FileSystemStorage(location=tmp_path)  # empty: what is left is this test's
    monkeypatch.setattr(Asset._meta.get_field("original"), "storage", storage)

    def broken_grant(*args, **kwargs):
        raise RuntimeError("the ledger is unavailable")

    monkeypatch.setattr(rights, "grant_new", broken_grant)
    photo = photo_file(5)
    sha = hashlib.sha256(photo.read()).hexdigest()
    photo.seek(0)
    submission = uploads.Submission(
        site_id=site.pk, name="@jane", terms_text="terms", language="en", address="127.0.0.1"
    )
    with pytest.raises(RuntimeError):
        uploads.submit([photo], submission)
    assert not Asset.objects.exists()
    assert not storage.exists(f"originals/{sha[:2]}/{sha[2:4]}/{sha}.jpg")
    assert not list(tmp_path.rglob("*.jpg"))


def test_a_database_failure_answers_503_and_leaves_no_file(site, monkeypatch, tmp_path):
    """The licence INSERT fails in the database (a trigger raises), after the photos
    were stored and their rows inserted: the shopper is told to send again (503 with
    Retry-After), and neither the rows nor the stored files are kept."""
    from django.core.files.storage import FileSystemStorage
    from django.db import connection

    stored: list[str] = []

    class Recording(FileSystemStorage):
        def _save(self, name, content):
            stored.append(super()._save(name, content))
            return stored[-1]

    monkeypatch.setattr(Asset._meta.get_field("original"), "storage", Recording(tmp_path))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_refuse_licence() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the ledger refuses this entry'; END $$; "
            "CREATE TRIGGER test_refuse_licence BEFORE INSERT ON ugc_licenceentry "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_licence()"
        )
    client = browser()
    url = f"/upload/{site.pk}/"
    _, token = open_form(client, url)
    answer = client.post(url, fields(token, files=[photo_file(7), photo_file(8, "b.jpg")]))
    assert answer.status_code == 503, answer.content[:500]
    assert answer["Retry-After"] == str(settings.DATABASE_RETRY_AFTER_SECONDS)
    assert b"could not be saved" in answer.content
    assert len(stored) == 2  # both photos were stored before the ledger refused
    assert not Asset.objects.exists() and not LicenceEntry.objects.exists()
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_a_disguised_file_or_a_bomb_is_refused_at_once_and_nothing_is_stored(site):
    client = browser()
    url = f"/upload/{site.pk}/"
    _, token = open_form(client, url)
    zip_file = SimpleUploadedFile("x.jpg", mf.zip_bytes(), content_type="image/jpeg")
    bomb = SimpleUploadedFile("bomb.png", mf.png_bomb(), content_type="image/png")
    answer = client.post(url, fields(token, files=[zip_file, bomb]))
    assert answer.status_code == 400
    text = answer.content.decode()
    assert "ZIP archive" in text and "decompression bomb" in text
    assert not Asset.objects.exists()
