"""Brand safety: the real on-device detector on real (safe) pictures, the rule on given
scores, and what the auto-rules do with it: reject, flag for review, never approve.

No explicit picture is committed or fetched, so the reject path is tested through the
rule with a detection at a given score, not through the model.
"""

from __future__ import annotations

import importlib.util

import pytest
from django.urls import reverse
from PIL import Image, ImageOps

from tests.realworld.corpus import require
from tests.ugc.factories import AssetFactory, CoordinatorFactory
from ugc.media import safety
from ugc.media.safety import Detection, SafetyPolicy, Verdict, judge
from ugc.models import AuditEntry
from ugc.services import moderation

SAFE_PHOTOS = [
    "hopper.jpg",  # a portrait
    "jpg_gps_DSCN0010.jpg",
    "jpg_orientation_portrait_6.jpg",
    "flower2.jpg",
    "pil_sample_rgb.jpg",
    "frozenpond.mpo",
    "sugarshack.mpo",
    "heic_IMG_5195.HEIC",
]
POLICY = SafetyPolicy(
    reject_at=0.6, review_at=0.35, explicit_labels=frozenset({"NSFW", "FEMALE_BREAST_EXPOSED"})
)


def upright(name: str) -> Image.Image:
    """As the pipeline hands it over: oriented and at most 640 px wide."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    with Image.open(require("images", name)) as im:
        im = ImageOps.exif_transpose(im).convert("RGB")
    im.thumbnail((640, 640))
    return im


# -- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "verdict", "hits"),
    [
        (
            {"FEMALE_BREAST_EXPOSED": 0.91, "FACE_FEMALE": 0.8},
            Verdict.REJECT,
            ["FEMALE_BREAST_EXPOSED"],
        ),
        ({"NSFW": 0.6}, Verdict.REJECT, ["NSFW"]),
        ({"NSFW": 0.59}, Verdict.REVIEW, ["NSFW"]),
        ({"NSFW": 0.35, "FEMALE_BREAST_EXPOSED": 0.2}, Verdict.REVIEW, ["NSFW"]),
        ({"NSFW": 0.34}, Verdict.CLEAR, []),
        ({"FACE_FEMALE": 0.99, "BELLY_EXPOSED": 0.9}, Verdict.CLEAR, []),  # not explicit
        ({}, Verdict.CLEAR, []),
    ],
)
def test_the_rule_rejects_above_flags_near_and_passes_below(scores, verdict, hits):
    judgement = judge(Detection("m", scores), POLICY)
    assert judgement.verdict == verdict
    assert list(judgement.hits) == hits


def test_the_rule_names_every_explicit_label_highest_first():
    scores = {"NSFW": 0.4, "FEMALE_BREAST_EXPOSED": 0.72}
    assert judge(Detection("m", scores), POLICY).describe() == (
        "FEMALE_BREAST_EXPOSED 0.72, NSFW 0.40"
    )


# -- the real models -----------------------------------------------------------------------


def test_the_default_model_loads_offline_from_its_wheel_and_is_deterministic(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the detector tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    detector = safety.detector("open_nsfw")
    assert detector is safety.detector("open_nsfw")  # once per process
    assert detector._session.get_session_options().intra_op_num_threads == 1
    picture = upright("hopper.jpg")
    first, second = detector.detect(picture), detector.detect(picture.copy())
    assert first == second and set(first.scores) == {"NSFW"}
    assert 0.0 <= first.scores["NSFW"] <= 1.0


@pytest.mark.parametrize(
    "model",
    [
        "open_nsfw",
        pytest.param(
            "nudenet",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("nudenet") is None,
                reason="the nudenet extra (AGPL-3.0) is not installed: uv sync --extra nudenet",
            ),
        ),
    ],
)
def test_safe_corpus_photos_score_low_and_are_never_rejected(model, settings):
    detector = safety.detector(model)
    policy = moderation.brand_safety_policy()
    for name in SAFE_PHOTOS:
        found = detector.detect(upright(name))
        assert found.model == detector.name
        assert judge(found, policy).verdict == Verdict.CLEAR, (name, found.scores)
        explicit = [s for label, s in found.scores.items() if label in policy.explicit_labels]
        assert max(explicit, default=0.0) < settings.BRAND_SAFETY_REVIEW_AT, (name, found)


@pytest.mark.skipif(
    importlib.util.find_spec("nudenet") is None,
    reason="the nudenet extra (AGPL-3.0) is not installed: uv sync --extra nudenet",
)
def test_nudenet_names_body_parts():
    found = safety.detector("nudenet").detect(upright("hopper.jpg"))
    assert set(found.scores) <= set(safety.NUDENET_LABELS)
    assert max(found.scores, key=found.scores.get) == "FACE_FEMALE"  # Grace Hopper


def test_an_unknown_model_is_refused_with_the_choices():
    with pytest.raises(safety.SafetyModelUnavailable, match="open_nsfw, nudenet"):
        safety.detector("nope")


# -- the auto-rule on an asset -------------------------------------------------------------


def screened(scores: dict[str, float], **fields):
    return AssetFactory(
        processing_state="in_review", safety={"model": "nudenet-320n", "scores": scores}, **fields
    )


@pytest.mark.django_db
def test_explicit_content_is_rejected_with_the_labels_and_scores(
    django_capture_on_commit_callbacks,
):
    asset = screened({"FEMALE_BREAST_EXPOSED": 0.88, "FACE_FEMALE": 0.7})
    with django_capture_on_commit_callbacks(execute=True):
        assert moderation.apply_auto_rules(asset) is None
    asset.refresh_from_db()
    assert asset.moderation_state == "rejected"
    assert asset.rejection_reason.slug == "inappropriate"
    assert asset.safety["verdict"] == "reject"
    assert asset.safety["hits"] == {"FEMALE_BREAST_EXPOSED": 0.88}
    note = AuditEntry.objects.get(asset=asset, action="moderation_state:rejected").note
    assert note == "brand safety (nudenet-320n): FEMALE_BREAST_EXPOSED 0.88"


@pytest.mark.django_db
def test_near_the_threshold_is_flagged_and_left_for_a_person(client):
    asset = screened({"FEMALE_BREAST_EXPOSED": 0.41})
    moderation.apply_auto_rules(asset)
    asset.refresh_from_db()
    assert asset.moderation_state == "pending" and asset.safety["verdict"] == "review"
    flag = AuditEntry.objects.get(asset=asset, action="safety_flag")
    assert "FEMALE_BREAST_EXPOSED 0.41" in flag.note

    client.force_login(CoordinatorFactory())
    queue = client.get(reverse("workspace:review")).content.decode()
    page = client.get(reverse("workspace:asset", args=[asset.pk])).content.decode()
    for body in (queue, page):
        assert 'data-safety="review"' in body and "FEMALE_BREAST_EXPOSED 0.41" in body


@pytest.mark.django_db
def test_a_clear_screen_changes_nothing_and_never_approves(settings):
    asset = screened({"FEMALE_BREAST_EXPOSED": 0.1})
    settings.BRAND_SAFETY_REVIEW_AT = 0.05  # thresholds are read when judging
    moderation.apply_auto_rules(asset)
    asset.refresh_from_db()
    assert asset.moderation_state == "pending" and asset.safety["verdict"] == "review"

    settings.BRAND_SAFETY_REVIEW_AT = 0.35
    clean = screened({"FEMALE_BREAST_EXPOSED": 0.1})
    moderation.apply_auto_rules(clean)
    clean.refresh_from_db()
    assert clean.moderation_state == "pending" and clean.safety["verdict"] == "clear"
    assert not AuditEntry.objects.filter(asset=clean).exists()
