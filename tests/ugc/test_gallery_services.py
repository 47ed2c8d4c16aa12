"""Gallery and site writes (ugc.services.galleries): pins keep their order and are
never doubled, bad input names its field, and every change reaches the public API's
very next response, cached or not."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.ugc.factories import (
    AssetFactory,
    GalleryFactory,
    GalleryPinFactory,
    PublishableAssetFactory,
    SiteFactory,
)
from tests.ugc.gallery_support import clear_cache, shown  # noqa: F401
from ugc.models import GalleryPin
from ugc.services import galleries

pytestmark = pytest.mark.django_db


def pinned(gallery) -> list[int]:
    return list(
        GalleryPin.objects.filter(gallery=gallery)
        .order_by("position", "id")
        .values_list("asset_id", flat=True)
    )


def field_of(exc: pytest.ExceptionInfo) -> str:
    return next(iter(exc.value.message_dict))


def test_pins_append_in_order_skip_duplicates_and_report_them():
    gallery = GalleryFactory()
    first, second, third = (PublishableAssetFactory() for _ in range(3))
    outcome = galleries.pin_assets(gallery, [first.pk, second.pk])
    assert outcome.added == [first.pk, second.pk] and outcome.skipped == []

    again = galleries.pin_assets(gallery, [second.pk, third.pk, 999_999_999])
    assert again.added == [third.pk]
    assert again.skipped == [
        {"id": second.pk, "reason": "already pinned"},
        {"id": 999_999_999, "reason": "no such asset"},
    ]
    assert pinned(gallery) == [first.pk, second.pk, third.pk]
    # Idempotent: the same request again changes nothing.
    assert galleries.pin_assets(gallery, [third.pk]).added == []
    assert pinned(gallery) == [first.pk, second.pk, third.pk]


def test_a_not_yet_publishable_asset_may_be_pinned_but_is_not_shown():
    gallery = GalleryFactory()
    ready = PublishableAssetFactory()
    waiting = AssetFactory(processing_state="in_review")  # not approved, no rights
    galleries.pin_assets(gallery, [waiting.pk, ready.pk])
    assert pinned(gallery) == [waiting.pk, ready.pk]
    assert shown(Client(), gallery) == [ready.pk]


def test_reorder_takes_the_full_order_and_refuses_a_partial_one():
    gallery = GalleryFactory()
    a, b, c = (GalleryPinFactory(gallery=gallery).asset_id for _ in range(3))
    galleries.reorder_pins(gallery, [c, a, b])
    assert pinned(gallery) == [c, a, b]
    assert list(GalleryPin.objects.filter(gallery=gallery).values_list("position", flat=True)) == [
        0,
        1,
        2,
    ]
    for bad in ([c, a], [c, a, b, b], [c, a, b, 12345]):
        with pytest.raises(ValidationError) as exc:
            galleries.reorder_pins(gallery, bad)
        assert field_of(exc) == "order"
    assert pinned(gallery) == [c, a, b]


def test_each_pin_change_reaches_the_cached_public_response_at_once(
    django_capture_on_commit_callbacks,
):
    gallery = GalleryFactory()
    a, b, c = (PublishableAssetFactory() for _ in range(3))
    with django_capture_on_commit_callbacks(execute=True):
        galleries.pin_assets(gallery, [a.pk, b.pk])
    assert shown(Client(), gallery) == [a.pk, b.pk]
    assert shown(Client(), gallery) == [a.pk, b.pk]  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        galleries.pin_assets(gallery, [c.pk])
    assert shown(Client(), gallery) == [a.pk, b.pk, c.pk]
    with django_capture_on_commit_callbacks(execute=True):
        galleries.reorder_pins(gallery, [c.pk, a.pk, b.pk])
    assert shown(Client(), gallery) == [c.pk, a.pk, b.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert galleries.unpin_asset(gallery, a.pk)
    assert shown(Client(), gallery) == [c.pk, b.pk]
    assert not galleries.unpin_asset(gallery, a.pk)


def test_the_cache_moves_only_after_commit(django_capture_on_commit_callbacks):
    gallery = GalleryFactory()
    asset = PublishableAssetFactory()
    assert shown(Client(), gallery) == []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        galleries.pin_assets(gallery, [asset.pk])
    # Not committed yet: the cached (empty) body is still what is served.
    assert shown(Client(), gallery) == []
    assert callbacks
    for callback in callbacks:
        callback()
    assert shown(Client(), gallery) == [asset.pk]


def test_rules_add_matches_and_removing_one_drops_them(django_capture_on_commit_callbacks):
    gallery = GalleryFactory()
    summer = PublishableAssetFactory(hashtags=["summer"])
    PublishableAssetFactory(hashtags=["winter"])
    assert shown(Client(), gallery) == []
    with django_capture_on_commit_callbacks(execute=True):
        rule = galleries.add_rule(gallery, tags=["#Summer"])
    assert rule.tags == ["summer"]
    assert shown(Client(), gallery) == [summer.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert galleries.remove_rule(gallery, rule.pk)
    assert shown(Client(), gallery) == []


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({}, "rule"),
        ({"platform": "myspace"}, "platform"),
        ({"min_score": 1.5}, "min_score"),
        ({"tags": ["x" * 101]}, "tags"),
    ],
)
def test_bad_rules_name_their_field(conditions, field):
    with pytest.raises(ValidationError) as exc:
        galleries.add_rule(GalleryFactory(), **conditions)
    assert field_of(exc) == field


def test_create_and_edit_a_gallery_with_checked_settings(django_capture_on_commit_callbacks):
    site = SiteFactory()
    gallery = galleries.create_gallery(site=site, slug="home", title="Home")
    assert gallery.ordering == "manual"
    with pytest.raises(ValidationError) as exc:
        galleries.create_gallery(site=site, slug="home")
    assert field_of(exc) == "slug"
    for changes, field in (
        ({"slug": "no spaces"}, "slug"),
        ({"size": 0}, "size"),
        ({"layout": "spiral"}, "layout"),
        ({"ordering": "random"}, "ordering"),
        ({"title": "t" * 201}, "title"),
    ):
        with pytest.raises(ValidationError) as exc:
            galleries.update_gallery(gallery, **changes)
        assert field_of(exc) == field
    asset = PublishableAssetFactory()
    GalleryPinFactory(gallery=gallery, asset=asset)
    assert shown(Client(), gallery) == [asset.pk]
    with django_capture_on_commit_callbacks(execute=True):
        galleries.update_gallery(gallery, title="Front page", size=1)
    response = Client().get("/api/v1/public/galleries/home", {"key": site.publishable_key}).json()
    assert response["gallery"]["title"] == "Front page"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("https://Shop.Example.com", "https://shop.example.com"),
        ("https://shop.example.com/", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://localhost:8000", "http://localhost:8000"),
    ],
)
def test_origins_are_kept_as_a_browser_sends_them(raw, clean):
    assert galleries.clean_origin(raw) == clean


@pytest.mark.parametrize(
    "raw",
    [
        "shop.example.com",
        "https://shop.example.com/path",
        "ftp://shop.example.com",
        "https://user@shop.example.com",
        "https://shop.example.com?x=1",
        "https://shop.example.com:99999",
        "https://",
    ],
)
def test_bad_origins_name_the_field(raw):
    with pytest.raises(ValidationError) as exc:
        galleries.clean_origin(raw)
    assert field_of(exc) == "allowed_origins"


def test_site_origins_apply_to_the_next_public_request(django_capture_on_commit_callbacks):
    gallery = GalleryFactory()
    site = gallery.site
    origin = "https://new.example.com"
    assert shown(Client(), gallery, {"Origin": site.allowed_origins[0]}) == []
    refused = Client().get(
        f"/api/v1/public/galleries/{gallery.slug}",
        {"key": site.publishable_key},
        headers={"Origin": origin},
    )
    assert refused.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        galleries.update_site(
            site, name=site.name, domain=site.domain, allowed_origins=[origin], locale="en"
        )
    assert shown(Client(), gallery, {"Origin": origin}) == []
    with pytest.raises(ValidationError) as exc:
        galleries.update_site(site, name="", domain=site.domain, allowed_origins=[], locale="en")
    assert field_of(exc) == "name"
    with pytest.raises(ValidationError) as exc:
        galleries.create_site(name="Shop", domain="https://shop.example.com/")
    assert field_of(exc) == "domain"


def test_a_rotated_key_stops_the_old_one_at_once(django_capture_on_commit_callbacks):
    gallery = GalleryFactory()
    old = gallery.site.publishable_key
    assert shown(Client(), gallery) == []
    with django_capture_on_commit_callbacks(execute=True):
        galleries.rotate_site_key(gallery.site)
    gone = Client().get(f"/api/v1/public/galleries/{gallery.slug}", {"key": old})
    assert gone.status_code == 404
    assert shown(Client(), gallery) == []
