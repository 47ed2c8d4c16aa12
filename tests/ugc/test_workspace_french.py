"""The workspace in French: the catalogue is complete and compiled, a French session reads
the screens in French with French dates and figures, and English stays the default."""

from __future__ import annotations

import gettext
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from tests.commerce.factories import ProductFactory
from tests.ugc.factories import AssetFactory, GalleryFactory, GalleryPinFactory
from workspace.dashboard import _display
from workspace.templatetags.workspace import money

CATALOGUE = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES"


def french_catalogue():
    with open(CATALOGUE / "django.po", "rb") as po:
        return read_po(po)


def test_every_message_is_translated_and_none_is_fuzzy():
    catalogue = french_catalogue()
    assert len(catalogue) > 200
    left = [m.id for m in catalogue if m.id and (m.fuzzy or not all(_strings(m)))]
    assert not left, f"untranslated or fuzzy: {left[:5]}"


def _strings(message):
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_the_committed_mo_is_current_with_the_po():
    compiled = io.BytesIO()
    write_mo(compiled, french_catalogue())
    compiled.seek(0)
    fresh = _messages(gettext.GNUTranslations(compiled))
    with open(CATALOGUE / "django.mo", "rb") as mo:
        committed = _messages(gettext.GNUTranslations(mo))
    assert committed == fresh, (
        "compile the catalogue: msgfmt --check -o django.mo django.po in locale/fr/LC_MESSAGES"
    )


def _messages(translations) -> dict:
    # The header ("") differs by compiler; the messages must not.
    return {key: text for key, text in translations._catalog.items() if key != ""}


def test_dates_figures_and_money_per_language():
    day = date(2026, 12, 7)
    with translation.override("fr"):
        assert date_format(day) == "7 déc. 2026"
        assert _display("money", Decimal("1234.5")) == "1\xa0234,50"
        assert _display("rate", 0.12345) == "12,35 %"
        assert money(Decimal("1234.5"), "EUR") == "1\u202f234,50\xa0€"
    with translation.override("en"):
        assert date_format(day) == "2026-12-07"
        assert _display("money", Decimal("1234.5")) == "1,234.50"
        assert money(Decimal("1234.5"), "EUR") == "1,234.50 EUR"


@pytest.mark.django_db
def test_a_french_session_reads_the_screens_in_french(client, coordinator):
    expires = timezone.now() + timedelta(days=10)
    AssetFactory(processing_state="ready", rights_state="granted", rights_expires_at=expires)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    screens = {
        "workspace:library": ["Bibliothèque", "Rechercher dans la bibliothèque", "Approuver"],
        "workspace:review": ["File de modération"],
        "workspace:rights": ["Boîte des droits", "Expirant dans les 30 prochains jours"],
        "dashboard:index": ["Tableau de bord", "Totaux de la boutique", "Période"],
    }
    for name, words in screens.items():
        body = client.get(reverse(name)).content.decode()
        assert '<html lang="fr">' in body
        for word in words:
            assert word in body, f"{name} lacks {word!r}"
    rights = client.get(reverse("workspace:rights")).content.decode()
    with translation.override("fr"):
        assert date_format(timezone.localtime(expires).date()) in rights


@pytest.mark.django_db
def test_english_stays_the_default_and_the_switcher_sets_french(client, coordinator):
    body = client.get(reverse("workspace:library")).content.decode()
    assert '<html lang="en">' in body and "Search the library" in body
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/workspace/"})
    assert response.status_code == 302
    assert (
        "Rechercher dans la bibliothèque"
        in client.get(reverse("workspace:library")).content.decode()
    )
    accept = client.get(reverse("workspace:review"), headers={"accept-language": "fr"})
    assert "File de modération" in accept.content.decode()


@pytest.mark.django_db
def test_a_french_session_reads_every_other_screen_in_french(client, coordinator):
    asset = AssetFactory(processing_state="in_review", moderation_state="pending")
    gallery = GalleryFactory(title="Accueil")
    GalleryPinFactory(gallery=gallery, asset=asset)
    ProductFactory(sku="MUG-1", price=Decimal("1234.50"), currency="EUR", url="")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    screens = {
        reverse("workspace:asset", args=[asset.pk]): [
            f"Contenu {asset.pk}",
            "Modération et droits",
            "Métadonnées et qualité",
            "Historique",
            "Pas encore noté",
        ],
        reverse("workspace:galleries"): ["Galeries", "Clé publiable", "Nouvelle galerie"],
        reverse("workspace:gallery", args=[gallery.pk]): [
            "Épingles",
            "Règles",
            "Code d'intégration",
            "Pas encore affiché",
        ],
        reverse("workspace:imports"): ["Imports et tâches", "Chaîne de traitement des médias"],
        reverse("workspace:products"): [
            "Produits",
            "1 au catalogue, 1 sans URL de boutique",
            "1\u202f234,50\xa0€",
        ],
        reverse("workspace:sources"): ["Connecter un compte", "Aucun compte connecté"],
        reverse("workspace:outbox"): ["Boîte d'envoi : demandes de photos"],
        reverse("dashboard:runs"): ["Calculs d'attribution", "Lancer un calcul"],
        reverse("dashboard:experiments"): [
            "Nouvelle expérience",
            "Emplacement de galerie (le témoin",
            "Jours prévus",
        ],
    }
    for url, words in screens.items():
        body = client.get(url).content.decode()
        assert '<html lang="fr">' in body
        for word in words:
            assert word in body, f"{url} lacks {word!r}"
    with translation.override("fr"):
        added = date_format(timezone.localtime(asset.created_at), "DATETIME_FORMAT")
    assert added in client.get(reverse("workspace:asset", args=[asset.pk])).content.decode()


@pytest.mark.django_db
def test_messages_from_the_server_follow_the_language(client, coordinator):
    ready = AssetFactory(processing_state="in_review", moderation_state="pending")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    done = client.post(reverse("workspace:bulk"), {"ids": [ready.pk], "action": "approve"})
    assert "1 contenu approuvé" in done.content.decode()
    refused = client.post(reverse("workspace:bulk"), {"ids": "x", "action": "approve"})
    assert refused.status_code == 400
    assert "nombres entiers" in refused.content.decode()
