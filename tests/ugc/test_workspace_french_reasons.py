"""Reasons the workers store (a file refused, an import row failed) shown in the reader's
language, while the API and the text columns keep the English (core/reasons.py)."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from analytics.models import AttributionRun
from core import reasons
from tests.support import media_files as mf
from tests.support.media_assets import media_storage  # noqa: F401  (fixture)
from tests.ugc.factories import AssetFactory
from ugc.ingest.folder import parse_folder
from ugc.media import MediaRejected
from ugc.media.sniff import sniff
from ugc.models import Asset, ImportItem, ProcessingState
from ugc.services import pipeline
from ugc.services.ingest import run_import

pytestmark = pytest.mark.django_db

TRUNCATED_FR = "Le fichier PNG est tronqué : ses données s'arrêtent avant la fin de l'image."
TRUNCATED_EN = "The PNG file is truncated: its data ends before the image does."


def page(client, url: str, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def import_folder(tmp_path):
    """A folder import through the real parser and ingest service: a PNG cut in half
    (taken, then refused by the pipeline) and a text file named like a photo."""
    folder = tmp_path / "drop"
    folder.mkdir()
    good = mf.save_bytes(mf.photo(320, 240, seed=2), "PNG")
    (folder / "cut.png").write_bytes(good[: len(good) // 2])
    (folder / "notes.jpg").write_bytes(b"shopping list: milk, eggs, flour\n" * 4)
    run = run_import(
        parse_folder(folder, platform="upload"),
        kind="folder",
        source=str(folder),
        fingerprint="french-reasons",
    )
    cut = Asset.objects.get(original_filename="cut.png")
    pipeline.process(cut.pk)
    cut.refresh_from_db()
    return run, cut


def test_a_refused_file_reads_french_on_the_screens_and_english_in_the_api(
    client,
    coordinator,
    media_storage,  # noqa: F811
    tmp_path,
):
    run, cut = import_folder(tmp_path)
    assert cut.processing_state == ProcessingState.FAILED
    assert cut.failure_reason == TRUNCATED_EN
    for url in (reverse("workspace:asset", args=[cut.pk]), reverse("workspace:imports")):
        french = page(client, url, "fr")
        assert TRUNCATED_FR.replace("'", "&#x27;") in french, url
        assert TRUNCATED_EN not in french, url
        assert TRUNCATED_EN in page(client, url, "en"), url
    api = client.get(f"/api/v1/assets/{cut.pk}", HTTP_ACCEPT_LANGUAGE="fr")
    assert api.json()["failure_reason"] == TRUNCATED_EN

    refused = ImportItem.objects.get(run=run, key="notes.jpg")
    assert refused.outcome == "failed"
    assert refused.reason.startswith("notes.jpg: The file is plain text, not an image or a video")
    french_run = page(client, reverse("workspace:import-run", args=[run.pk]), "fr")
    assert "notes.jpg : Le fichier est du texte brut, ni une image ni une vidéo" in french_run
    assert "not an image or a video" not in french_run
    assert "Dossier : import de" in french_run


def test_a_row_written_before_messages_shows_its_english(client, coordinator):
    old = AssetFactory(processing_state="failed", failure_reason="The file was eaten by a grue.")
    assert old.failure_reason_message is None
    for language in ("fr", "en"):
        body = page(client, reverse("workspace:asset", args=[old.pk]), language)
        assert "The file was eaten by a grue." in body
    body = page(client, reverse("workspace:imports"), "fr")
    assert "The file was eaten by a grue." in body


def test_a_refusal_names_the_format_and_the_figures_in_french():
    with pytest.raises(MediaRejected) as refused:
        sniff(b"PK\x03\x04" + b"\0" * 40, filename="album.zip")
    message = refused.value.message
    english = refused.value.reason
    assert reasons.english(message) == english
    assert english.startswith("The file is ZIP archive, which we do not accept")
    with translation.override("fr"):
        french = reasons.shown(message, english)
    assert french.startswith("Le fichier est au format archive ZIP, que nous n'acceptons pas")
    assert "(il se disait “.zip”)" in french  # the claim is kept as the file gave it

    bomb = (
        "The image is %(width)sx%(height)s (%(megapixels)s megapixels), over the limit of "
        "%(limit)s megapixels; refused as a possible decompression bomb."
    )
    size = reasons.stored(bomb, {"width": 9000, "height": 9000, "megapixels": 81.0, "limit": 50})
    with translation.override("fr"):
        assert "(81,0 mégapixels)" in reasons.shown(size, "x")
    assert "(81.0 megapixels)" in reasons.english(size)


def test_a_message_that_no_longer_fits_falls_back_to_its_english():
    broken = {"msgid": "The %(label)s file is truncated: its data ends before the image does."}
    with translation.override("fr"):
        assert reasons.shown(broken, "as written then") == "as written then"
        assert reasons.shown(reasons.stored("anything"), "") == ""


def test_runs_and_imports_show_labels_not_codes(client, coordinator):
    AttributionRun.objects.create(
        model="last_touch", level="asset", date_from=date(2026, 1, 1), date_to=date(2026, 1, 31)
    )
    french = page(client, reverse("dashboard:runs"), "fr")
    assert ">Dernier contact</td>" in french
    assert "last_touch</td>" not in french
    assert "> Dernier contact</label>" in french
