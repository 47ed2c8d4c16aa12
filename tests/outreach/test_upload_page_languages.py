"""The upload page refuses a file in the shopper's language (the page's five), the
imports screen in the coordinator's, while the API answers in English as before."""

from __future__ import annotations

import gettext
import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from outreach import wording
from tests.support.media_assets import media_storage  # noqa: F401  (fixture)
from tests.ugc.conftest import coordinator  # noqa: F401  (fixture)
from ugc.media.sniff import REFUSALS, REFUSED_LABELS
from ugc.models import Asset
from ugc.services.ingest import EMPTY, over_limit

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"

# What a text file named like a photo, and a file over a 10,000-byte cap, read as.
TEXT_REFUSED = {
    "en": "The file is plain text, not an image or a video (it claimed to be",
    "fr": "Le fichier est du texte brut, ni une image ni une vidéo (il se disait",
    "de": "Die Datei ist reiner Text, weder Bild noch Video (sie gab sich als",
    "es": "El archivo es texto plano, ni una imagen ni un vídeo (decía ser",
    "it": "Il file è testo semplice, né un'immagine né un video (diceva di essere",
}
TOO_BIG = {
    "en": "The file is over the 9.8 KB limit.",
    "fr": "Le fichier dépasse la limite de 9,8 Ko.",
    "de": "Die Datei überschreitet die Grenze von 9,8 KB.",
    "es": "El archivo supera el límite de 9,8 KB.",
    "it": "Il file supera il limite di 9,8 KB.",
}


@pytest.fixture(autouse=True)
def _fresh_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def files() -> list[SimpleUploadedFile]:
    notes = b"shopping list: milk, eggs, flour\n" * 4
    big = b"\xff\xd8" + b"0" * 20_000
    return [
        SimpleUploadedFile("notes.jpg", notes, content_type="image/jpeg"),
        SimpleUploadedFile("big.jpg", big, content_type="image/jpeg"),
    ]


def send(site, language: str) -> str:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE=language)
    url = f"/upload/{site.pk}/"
    form = client.get(url)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.content).group(1)
    fields = {"csrfmiddlewaretoken": token.decode(), "name": "@jane", "terms": "on"}
    answer = client.post(url, {**fields, "files": files()})
    assert answer.status_code == 400, answer.content[:500]
    return html.unescape(answer.content.decode())


@pytest.mark.parametrize("language", sorted(TEXT_REFUSED))
def test_the_shopper_reads_each_refusal_in_their_language(site, settings, language):
    assert language in settings.OUTREACH_LANGUAGES
    settings.UPLOAD_MAX_BYTES = 10_000
    page = send(site, language)
    assert TEXT_REFUSED[language] in page
    assert TOO_BIG[language] in page
    colon = "\u00a0: " if language == "fr" else ": "  # French spaces its colons
    refused = wording.words(language)["refused"]
    assert f"big.jpg{colon}{refused}{colon}{TOO_BIG[language]}" in page
    if language != "en":
        assert "not an image or a video" not in page and "byte limit" not in page
    assert not Asset.objects.exists()


def test_the_api_answers_as_before(client, coordinator, media_storage, settings):  # noqa: F811
    settings.UGC_MAX_UPLOAD_BYTES = 10_000
    empty = SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg")
    answer = client.post("/api/v1/assets/", {"files": [*files(), empty]}, HTTP_ACCEPT_LANGUAGE="fr")
    results = {r["filename"]: r for r in answer.json()["results"]}
    assert results["big.jpg"]["reason"] == "file is over the 10,000-byte limit"
    assert results["empty.jpg"]["reason"] == "the file is empty (0 bytes)"
    assert set(results["big.jpg"]) == {"filename", "status", "asset_id", "reason", "warnings"}


def test_the_imports_screen_gives_upload_refusals_in_french(
    client,
    coordinator,  # noqa: F811
    media_storage,  # noqa: F811
    settings,
):
    settings.UGC_MAX_UPLOAD_BYTES = 10_000
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    empty = SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg")
    page = client.post(reverse("workspace:upload"), {"files": [*files(), empty]})
    body = html.unescape(page.content.decode())
    assert "big.jpg\u00a0: échec — Le fichier dépasse la limite de 9,8 Ko." in body
    assert "empty.jpg\u00a0: échec — le fichier est vide (0 octet)" in body
    assert "byte limit" not in body and "file is empty" not in body


def test_a_bad_link_is_explained_in_the_shoppers_language(site):
    page = Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/upload/{site.pk}/?token=forged")
    assert page.status_code == 400
    words = wording.words("de")
    assert words["link_changed"] in html.unescape(page.content.decode())
    gone = Client(HTTP_ACCEPT_LANGUAGE="it").get("/upload/pk_live_nope/")
    assert gone.status_code == 404
    assert wording.words("it")["shop_gone"] in html.unescape(gone.content.decode())


def catalogue(language: str) -> dict[str, str]:
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        return {k: v for k, v in gettext.GNUTranslations(mo)._catalog.items() if k}


def test_each_shopper_language_translates_every_refusal_the_page_gives():
    french = catalogue("fr")
    needed = {
        *REFUSALS.values(),
        *(label for label in REFUSED_LABELS.values() if label in french),
        "The file is empty (0 bytes).",
        EMPTY.msgid,
        over_limit(10_000).msgid,
        over_limit(50 * 2**20).msgid,
        "%(filename)s: %(outcome)s",  # each file's line on upload_done.html
        "%(filename)s: %(outcome)s: %(reason)s",
    }
    for language in settings.OUTREACH_LANGUAGES:
        if language == "en":
            continue
        found = catalogue(language)
        assert needed <= set(found), (language, needed - set(found))
        assert all(found.values()), language
        if language != "fr":  # only the page's refusals: the workspace is en and fr
            assert set(found) <= set(french), language
