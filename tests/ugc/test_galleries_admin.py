"""The gallery builder's admin pages render: sites, galleries with pins and rules."""

import pytest

from tests.ugc.factories import GalleryPinFactory, GalleryRuleFactory

pytestmark = pytest.mark.django_db


def test_site_and_gallery_admin_pages_render(admin_client):
    pin = GalleryPinFactory()
    GalleryRuleFactory(gallery=pin.gallery, tags=["summer"])
    for model in ("site", "gallery"):
        assert admin_client.get(f"/admin/ugc/{model}/").status_code == 200
        assert admin_client.get(f"/admin/ugc/{model}/add/").status_code == 200
    page = admin_client.get(f"/admin/ugc/gallery/{pin.gallery_id}/change/")
    assert page.status_code == 200
    assert b"pins-0-asset" in page.content and b"rules-0-tags" in page.content
    site_page = admin_client.get(f"/admin/ugc/site/{pin.gallery.site_id}/change/")
    assert pin.gallery.site.publishable_key.encode() in site_page.content
