"""The workspace's changes: roles, CSRF, bad input as problems, and that each
action lands through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.roles import ANALYST
from tests.support.media_assets import media_storage  # noqa: F401  (fixture)
from tests.support.media_files import jpeg_bytes, photo
from tests.ugc.factories import AssetFactory, CoordinatorFactory, ProductFactory, UserFactory
from ugc.models import Asset, ModerationState, ProductTag, RightsState
from ugc.services import rights

pytestmark = pytest.mark.django_db


def in_review(**kwargs):
    return AssetFactory(processing_state="in_review", **kwargs)


def field_of(response) -> str:
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["errors"][0]["field"]


def test_bulk_approve_through_the_service(client, coordinator):
    first, second = in_review(), in_review()
    unprocessed = AssetFactory()
    response = client.post(
        reverse("workspace:bulk"),
        {"action": "approve", "ids": f"{first.pk},{second.pk},{unprocessed.pk}"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Approved 2 assets; skipped 1" in body
    assert f'id="tile-{first.pk}"' in body and 'hx-swap-oob="true"' in body
    first.refresh_from_db()
    assert first.moderation_state == ModerationState.APPROVED
    assert first.audit_trail.filter(actor=coordinator).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "reject", "ids": "1"}, "reason"),
        ({"action": "reject", "ids": "1", "reason": "nope"}, "reason"),
        ({"action": "explode", "ids": "1"}, "action"),
        ({"action": "approve"}, "ids"),
        ({"action": "approve", "ids": "a,b"}, "ids"),
        ({"action": "tag_line", "ids": "1", "product_line": "missing"}, "product_line"),
        ({"action": "tag_product", "ids": "1", "product": "missing"}, "product"),
    ],
)
def test_bad_bulk_input_is_a_problem_naming_the_field(client, coordinator, data, field):
    response = client.post(reverse("workspace:bulk"), data)
    assert response.status_code == 400
    assert field_of(response) == field


def test_bulk_reject_and_tag(client, coordinator):
    asset = in_review()
    product = ProductFactory()
    client.post(
        reverse("workspace:bulk"), {"action": "reject", "ids": asset.pk, "reason": "off-brand"}
    )
    client.post(
        reverse("workspace:bulk"),
        {"action": "tag_product", "ids": asset.pk, "product": product.sku},
    )
    asset.refresh_from_db()
    assert asset.moderation_state == ModerationState.REJECTED
    assert asset.rejection_reason.slug == "off-brand"
    assert ProductTag.objects.filter(asset=asset, product=product, accepted=True).exists()


def test_an_analyst_reads_but_cannot_approve(client):
    analyst = UserFactory()
    analyst.groups.add(Group.objects.get(name=ANALYST))
    client.force_login(analyst)
    asset = in_review()
    assert client.get(reverse("workspace:asset", args=[asset.pk])).status_code == 200
    response = client.post(reverse("workspace:bulk"), {"action": "approve", "ids": asset.pk})
    assert response.status_code == 403
    asset.refresh_from_db()
    assert asset.moderation_state == ModerationState.PENDING


def test_a_coordinator_cannot_change_users(client, coordinator):
    coordinator.is_staff = True
    coordinator.save()
    assert client.get("/admin/auth/user/").status_code == 403


def test_forms_need_the_csrf_token():
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(CoordinatorFactory())
    asset = in_review()
    response = csrf_client.post(reverse("workspace:bulk"), {"action": "approve", "ids": asset.pk})
    assert response.status_code == 403
    page = csrf_client.get(reverse("workspace:library"))
    token = page.cookies["csrftoken"].value
    assert "X-CSRFToken" in page.content.decode()  # htmx sends it on every request
    response = csrf_client.post(
        reverse("workspace:bulk"), {"action": "approve", "ids": asset.pk}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


def test_hotspot_is_stored_and_bad_points_are_refused(client, coordinator):
    asset = in_review()
    product = ProductFactory(sku="CAP-1")
    url = reverse("workspace:hotspot", args=[asset.pk])
    assert field_of(client.post(url, {"product": "CAP-1", "x": "1.5", "y": "0.2"})) == "x"
    assert field_of(client.post(url, {"product": "CAP-1", "x": "0.5"})) == "y"
    response = client.post(url, {"product": "CAP-1", "x": "0.5", "y": "0.25"})
    assert response.status_code == 200
    tag = ProductTag.objects.get(asset=asset, product=product)
    assert (tag.hotspot_x, tag.hotspot_y) == (0.5, 0.25)
    response = client.post(reverse("workspace:untag", args=[asset.pk]), {"product": "CAP-1"})
    assert response.status_code == 200
    assert not ProductTag.objects.filter(asset=asset).exists()


def test_review_decision_advances_to_the_next_asset(client, coordinator):
    first, second = in_review(), in_review()
    assert client.get(reverse("workspace:review")).context["asset"].pk == first.pk
    response = client.post(
        reverse("workspace:review-decide", args=[first.pk]), {"decision": "approve"}
    )
    assert response.context["asset"].pk == second.pk
    assert f'data-asset="{second.pk}"' in response.content.decode()
    again = client.post(
        reverse("workspace:review-decide", args=[first.pk]), {"decision": "approve"}
    )
    assert again.status_code == 409  # already approved: said, not hidden


def test_rights_page_and_answers(client, coordinator):
    asset = in_review()
    asset.creator.handle = "<b>ann</b>"
    asset.creator.save()
    rights.request_rights(asset)
    page = client.get(reverse("workspace:rights"))
    body = page.content.decode()
    assert "Copy message" in body and "&lt;b&gt;ann&lt;/b&gt;" in body and "<b>ann</b>" not in body
    url = reverse("workspace:rights-answer", args=[asset.pk])
    assert field_of(client.post(url, {"answer": "grant", "via": "telepathy"})) == "via"
    assert (
        field_of(
            client.post(url, {"answer": "grant", "via": "signed_form", "expires_on": "2001-01-01"})
        )
        == "expires_on"
    )
    assert client.post(url, {"answer": "grant", "via": "signed_form"}).status_code == 200
    asset.refresh_from_db()
    assert asset.rights_state == RightsState.GRANTED
    assert client.get(reverse("workspace:rights"), {"stage": "bogus"}).status_code == 400


def test_upload_creates_assets_and_shows_progress(client, coordinator, media_storage):  # noqa: F811
    good = SimpleUploadedFile("look.jpg", jpeg_bytes(photo(64, 48)), content_type="image/jpeg")
    response = client.post(reverse("workspace:upload"), {"files": [good], "platform": "upload"})
    assert response.status_code == 200
    asset = Asset.objects.get(original_filename="look.jpg")
    assert response.context["ids"] == [asset.pk]
    progress = client.get(reverse("workspace:progress"), {"ids": asset.pk})
    assert progress.context["progress"] == {"total": 1, "finished": 0, "failed": 0, "percent": 0}
    assert field_of(client.post(reverse("workspace:upload"), {})) == "files"


def test_retry_requeues_failed_processing(client, coordinator):
    failed = AssetFactory(processing_state="failed", failure_reason="not an image")
    response = client.post(reverse("workspace:retry"), {"ids": failed.pk})
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.processing_state == "processing"
    assert client.get(reverse("workspace:imports")).status_code == 200


def test_media_is_served_only_when_enabled(client, settings, media_storage):  # noqa: F811
    from django.core.files.base import ContentFile

    from tests.ugc.factories import RenditionFactory

    rendition = RenditionFactory()
    rendition.file.save("renditions/x/one.webp", ContentFile(b"RIFF....WEBP"), save=True)
    url = f"/media/{rendition.file.name}"
    settings.SERVE_MEDIA = False
    assert client.get(url).status_code == 404
    settings.SERVE_MEDIA = True
    assert client.get(url).status_code == 200
    assert client.get("/media/tests/private-original").status_code == 404
