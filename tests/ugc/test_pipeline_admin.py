"""The library's admin screens: they render, edits go through the audited service,
the audit trail cannot be changed, and the reprocess action queues the pipeline."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.support import media_files as mf
from tests.support.media_assets import make_asset, media_storage  # noqa: F401
from ugc.models import AuditEntry, ProcessingState
from ugc.services import pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_pages_render_and_edits_are_audited(
    admin_client_,
    media_storage,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    asset = make_asset(mf.jpeg_bytes(mf.photo(400, 300)), filename="a.jpg", mime_type="")
    pipeline.process(asset.pk)
    for url in (
        "/admin/ugc/asset/",
        f"/admin/ugc/asset/{asset.pk}/change/",
        "/admin/ugc/rendition/",
        "/admin/ugc/creator/",
        "/admin/ugc/contentcategory/",
        "/admin/ugc/auditentry/",
        "/admin/ugc/asset/?processing_state__exact=in_review&q=a.jpg",
    ):
        assert admin_client_.get(url).status_code == 200, url

    form = {
        "media_type": "image",
        "content_type": "",
        "creator": "",
        "caption": "New caption #sunset",
        "language": "en",
        "alt_text": "",
        "tags": "",
        "permalink": "",
        "posted_at_0": "",
        "posted_at_1": "",
    }
    # The read-only inlines still post their management forms and row ids.
    inlines = {
        "renditions": list(asset.renditions.all()),
        "audit_trail": list(AuditEntry.objects.filter(asset=asset).order_by("-at")),
    }
    for prefix, rows in inlines.items():
        form[f"{prefix}-TOTAL_FORMS"] = form[f"{prefix}-INITIAL_FORMS"] = len(rows)
        form[f"{prefix}-MIN_NUM_FORMS"], form[f"{prefix}-MAX_NUM_FORMS"] = 0, 1000
        for index, row in enumerate(rows):
            form[f"{prefix}-{index}-id"] = row.pk
            form[f"{prefix}-{index}-asset"] = asset.pk
    response = admin_client_.post(f"/admin/ugc/asset/{asset.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    asset.refresh_from_db()
    assert asset.caption == "New caption #sunset" and asset.hashtags == ["sunset"]
    update = AuditEntry.objects.get(asset=asset, action="update")
    assert update.changes["caption"] == ["", "New caption #sunset"]
    assert update.actor.username == "root"

    entry = AuditEntry.objects.filter(asset=asset).first()
    assert admin_client_.get(f"/admin/ugc/auditentry/{entry.pk}/delete/").status_code == 403

    with django_capture_on_commit_callbacks() as queued:
        response = admin_client_.post(
            "/admin/ugc/asset/",
            {"action": "reprocess_assets", "_selected_action": [asset.pk]},
        )
    assert response.status_code == 302
    assert len(queued) == 1
    asset.refresh_from_db()
    assert asset.processing_state == ProcessingState.PROCESSING
    assert AuditEntry.objects.filter(asset=asset, note="reprocess requested").exists()
