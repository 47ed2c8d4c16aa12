"""The workspace's words that come from the models: every choice label has its French,
a French session sees the French labels on the screens, and the services' refusals
follow the coordinator's language."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation

from analytics.models import AttributionRun, Experiment
from outreach.models import RequestState
from tests.ugc.factories import AssetFactory, GalleryFactory
from ugc.models import (
    GalleryLayout,
    GalleryOrdering,
    ModerationState,
    Platform,
    ProcessingState,
    RequestStage,
    RightsState,
)
from ugc.rights_messages import languages
from workspace.rights_inbox import STAGES

PROJECT_APPS = ("analytics", "commerce", "outreach", "platforms", "sources", "ugc", "workspace")
# Labels French writes as English does: names of platforms and words French borrowed.
SAME_IN_FRENCH = {
    "Instagram",
    "TikTok",
    "Facebook",
    "Pinterest",
    "YouTube",
    "X",
    "Image",
    "Hashtag",
    "Export",
}
# Choices whose labels are the analytics keys themselves (channels, device classes,
# event types): the dashboard shows them as the codes they are.
CODES_AS_LABELS = {"Channel", "DeviceClass", "EventType"}


def project_choices() -> list[type[models.Choices]]:
    found, todo = [], [models.Choices]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PROJECT_APPS and cls.__name__ not in CODES_AS_LABELS:
            found.append(cls)
    return found


def test_every_choice_label_has_its_french():
    choices = project_choices()
    assert len(choices) > 30, [c.__name__ for c in choices]
    untranslated, used = [], set()
    for cls in choices:
        for member in cls:
            with translation.override("en"):
                english = str(member.label)
            with translation.override("fr"):
                french = str(member.label)
            used.add(english)
            if french == english and english not in SAME_IN_FRENCH:
                untranslated.append(f"{cls.__qualname__}.{member.name}: {english!r}")
    assert not untranslated, f"no French for {untranslated}"
    assert not SAME_IN_FRENCH - used, "a word in SAME_IN_FRENCH that no label uses"


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.pieces: set[str] = set()

    def handle_data(self, data):
        if data.strip():
            self.pieces.add(data.strip())


def text_pieces(body: str) -> set[str]:
    parser = _Text()
    parser.feed(body)
    return parser.pieces


def labels_on(client, url: str, language: str) -> set[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return text_pieces(response.content.decode())


def in_both(label) -> tuple[str, str]:
    with translation.override("en"):
        english = str(label)
    with translation.override("fr"):
        return english, str(label)


@pytest.mark.django_db
def test_a_french_screen_shows_no_english_choice_label(client, coordinator):
    asset = AssetFactory(
        processing_state="in_review", moderation_state="pending", source_platform="review"
    )
    gallery = GalleryFactory(layout="grid", ordering="manual")
    AttributionRun.objects.create(
        model="linear", level="gallery", date_from=date(2026, 1, 1), date_to=date(2026, 1, 31)
    )
    starts = timezone.now() - timedelta(days=1)
    Experiment.objects.create(
        site=gallery.site, key="home", placement=gallery.slug, metric="conversion_rate",
        starts_at=starts,
    )  # fmt: skip
    screens = {
        reverse("workspace:library"): [
            ModerationState.PENDING.label,
            RightsState.NOT_REQUESTED.label,
            ProcessingState.IN_REVIEW.label,
            Platform.REVIEW.label,
        ],
        reverse("workspace:asset", args=[asset.pk]): [
            ProcessingState.IN_REVIEW.label,
            ModerationState.PENDING.label,
            RightsState.NOT_REQUESTED.label,
        ],
        reverse("workspace:galleries"): [GalleryOrdering.MANUAL.label],
        reverse("workspace:gallery", args=[gallery.pk]): [
            GalleryLayout.GRID.label,
            GalleryOrdering.MANUAL.label,
        ],
        reverse("workspace:outbox"): [state.label for state in RequestState],
        reverse("workspace:rights"): [RequestStage(stage).label for stage in STAGES]
        + [Platform.UPLOAD.label],
        reverse("dashboard:runs"): [
            AttributionRun.Status.QUEUED.label,
            AttributionRun.Level.GALLERY.label,
            AttributionRun.Level.CHANNEL.label,
        ],
        reverse("dashboard:experiments"): [Experiment.Metric.CONVERSION_RATE.label],
    }
    for url, labels in screens.items():
        english_screen, french_screen = labels_on(client, url, "en"), labels_on(client, url, "fr")
        for label in labels:
            english, french = in_both(label)
            assert english in english_screen, f"{url} shows no {english!r} in English"
            assert english not in french_screen, f"{url} shows {english!r} in French"
            assert french in french_screen, f"{url} lacks {french!r} in French"
    rights = labels_on(client, reverse("workspace:rights"), "fr")
    assert "Aucune demande « en file d'attente »." in rights


@pytest.mark.django_db
def test_the_rights_inbox_offers_its_message_languages(client, coordinator):
    # The page's language switcher once lent its ("en", "English") pairs to this filter.
    body = client.get(reverse("workspace:rights")).content.decode()
    assert "(&#x27;en&#x27;, &#x27;English&#x27;)" not in body
    for language in languages():
        assert f'<option value="{language}">{language}</option>' in body


@pytest.mark.django_db
def test_refusals_from_the_services_follow_the_language(client, coordinator):
    approved = AssetFactory(processing_state="in_review", moderation_state="approved")
    received = AssetFactory(processing_state="received", moderation_state="pending")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    ids = {"ids": [approved.pk, received.pk], "action": "approve"}
    done = client.post(reverse("workspace:bulk"), ids).content.decode()
    assert f"contenu {approved.pk} : modération : impossible de passer de" in done
    assert "« approuvé » à « approuvé »" in done
    refused = _moderate(client, received)
    assert refused.status_code == 409
    assert "seuls les contenus traités sont modérés" in refused.json()["detail"]
    assert "« reçu »" in refused.json()["detail"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    again = _moderate(client, received)
    assert "is received: only processed assets are moderated" in again.json()["detail"]


def _moderate(client, asset):
    url = reverse("workspace:asset-moderate", args=[asset.pk])
    return client.post(url, {"decision": "approve"})
