"""A licence's territory decides where its asset is shown: a site names the
countries it serves, and a gallery shows an asset licensed for a territory only
when every one of them lies within it (a site naming none: worldwide licences)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.ugc.factories import GalleryFactory, GalleryPinFactory, SiteFactory
from tests.ugc.gallery_support import clear_cache, shown  # noqa: F401
from tests.ugc.test_licences import approved
from ugc.admin import SiteAdminForm
from ugc.models import Asset, Site
from ugc.selectors import gallery_assets, is_publishable, publishable_assets
from ugc.services import galleries, rights
from ugc.services.licences import LicenceTerms

pytestmark = pytest.mark.django_db


def granted_for(*countries) -> Asset:
    asset = approved()
    rights.grant(asset, via="signed_form", terms=LicenceTerms(territory=list(countries)))
    return Asset.objects.get(pk=asset.pk)


def storefront(*countries):
    """A site serving these countries, with a product-page gallery (every publishable
    asset) and a pins-only one, so both of the gallery's queries are asked."""
    site = SiteFactory(countries=list(countries))
    return GalleryFactory(site=site, product_page=True), GalleryFactory(site=site)


@pytest.fixture
def assets():
    return {
        "fr": granted_for("FR"),
        "fr_be": granted_for("FR", "BE"),
        "world": granted_for(),
    }


@pytest.mark.parametrize(
    ("countries", "expected"),
    [
        (["FR"], {"fr", "fr_be", "world"}),
        (["FR", "BE"], {"fr_be", "world"}),  # every country the site serves is needed
        (["US"], {"world"}),
        ([], {"world"}),  # a site that names no countries: worldwide licences only
    ],
)
def test_a_gallery_shows_what_is_licensed_where_its_site_sells(client, assets, countries, expected):
    every, pins_only = storefront(*countries)
    for asset in assets.values():
        GalleryPinFactory(gallery=pins_only, asset=asset)
    want = {assets[name].pk for name in expected}
    assert set(shown(client, every)) == want
    assert set(shown(client, pins_only)) == want
    site = every.site
    assert set(publishable_assets(site=site).values_list("pk", flat=True)) == want
    assert {a.pk for a in assets.values() if is_publishable(a, site=site)} == want
    assert set(gallery_assets(every).values_list("pk", flat=True)) == want
    # Without a site: what some storefront may show, whatever its territory.
    assert set(publishable_assets().values_list("pk", flat=True)) >= want | {
        a.pk for a in assets.values()
    }


def test_the_grant_copies_its_territory_to_the_asset_and_an_asset_not_loaded_is_unknown():
    asset = granted_for("DE", "AT")
    assert asset.licensed_territory == ["AT", "DE"]
    partial = Asset.objects.only("id", "rights_state").get(pk=asset.pk)
    assert is_publishable(partial, site=Site(countries=["AT"])) is None


def test_an_amendment_narrowing_the_territory_leaves_the_next_response(
    client, django_capture_on_commit_callbacks
):
    asset = granted_for("FR", "US")
    us_gallery, _ = storefront("US")
    fr_gallery, _ = storefront("FR")
    assert shown(client, us_gallery) == [asset.pk]
    assert shown(client, fr_gallery) == [asset.pk]  # both bodies are cached now
    with django_capture_on_commit_callbacks(execute=True):
        rights.amend(asset, LicenceTerms(territory=["FR"]), note="creator: France only")
    assert shown(client, us_gallery) == []
    assert shown(client, fr_gallery) == [asset.pk]
    with django_capture_on_commit_callbacks(execute=True):
        rights.amend(asset, LicenceTerms(), note="creator: worldwide after all")
    assert shown(client, us_gallery) == [asset.pk]


def test_a_change_of_the_sites_countries_reaches_the_next_response(
    client, django_capture_on_commit_callbacks
):
    asset = granted_for("FR")
    gallery, _ = storefront("FR")
    site = gallery.site
    assert shown(client, gallery) == [asset.pk]
    edit = {"name": site.name, "domain": site.domain, "allowed_origins": site.allowed_origins}
    with django_capture_on_commit_callbacks(execute=True):
        galleries.update_site(site, **edit, locale="fr", countries=["FR", "US"])
    assert shown(client, gallery) == []
    with django_capture_on_commit_callbacks(execute=True):
        galleries.update_site(site, **edit, locale="fr", countries=["fr"])
    assert shown(client, gallery) == [asset.pk]


def test_the_workspace_site_form_takes_countries_as_typed(client, coordinator):
    response = client.post(
        reverse("workspace:site-create"),
        {"name": "EU shop", "domain": "eu.shop.example", "countries": "fr, be\nFR"},
    )
    assert response.status_code == 303
    site = Site.objects.get(name="EU shop")
    assert site.countries == ["BE", "FR"]
    edit = {"name": site.name, "domain": site.domain, "countries": "de"}
    response = client.post(reverse("workspace:site-edit", args=[site.pk]), edit)
    assert response.status_code == 200
    assert "<code>DE</code>" in response.content.decode()
    site.refresh_from_db()
    assert site.countries == ["DE"]
    client.post(reverse("workspace:site-edit", args=[site.pk]), {**edit, "countries": ""})
    site.refresh_from_db()
    assert site.countries == []


@pytest.mark.parametrize("typed", ["FRA", "ZZ", "F1", "EU", "fr, xx"])
def test_bad_countries_are_a_400_naming_the_field(client, coordinator, typed):
    site = SiteFactory(countries=["FR"])
    data = {"name": "S", "domain": "s.example", "countries": typed}
    created = client.post(reverse("workspace:site-create"), data)
    edited = client.post(reverse("workspace:site-edit", args=[site.pk]), data)
    for response in (created, edited):
        assert response.status_code == 400, response.content
        problem = response.json()
        assert problem["errors"][0]["field"] == "countries"
        assert typed.split(", ")[-1].upper() in problem["errors"][0]["message"]
    site.refresh_from_db()
    assert site.countries == ["FR"] and Site.objects.count() == 1


def test_the_admin_checks_countries_the_same_way():
    site = SiteFactory()
    fields = {"name": site.name, "domain": site.domain, "allowed_origins": "", "locale": "en"}
    good = SiteAdminForm({**fields, "countries": "fr,BE"}, instance=site)
    assert good.is_valid(), good.errors
    assert good.cleaned_data["countries"] == ["BE", "FR"]
    bad = SiteAdminForm({**fields, "countries": "FR,XX"}, instance=site)
    assert not bad.is_valid()
    assert "XX" in bad.errors["countries"][0]
