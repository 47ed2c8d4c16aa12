"""Creators' replies imported from a file grant rights, judged as a webhook's reply is
(ugc.rights_replies); bad lines get an outcome."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ugc.models import Asset, Creator
from ugc.services import rights

pytestmark = pytest.mark.django_db


def test_replies_from_a_file_grant_rights_and_report_every_outcome(tmp_path, capsys):
    creator = Creator.objects.create(platform="instagram", handle="jane")
    asset = Asset.objects.create(
        media_type="image",
        source_platform="instagram",
        platform_id="1789",
        creator=creator,
        processing_state="in_review",
    )
    rights.request_rights(asset)
    replies = [
        {
            "platform": "instagram",
            "platform_id": "1789",
            "author_handle": "@someone",
            "text": "#YesAcme",
        },
        {
            "platform": "instagram",
            "platform_id": "1789",
            "author_handle": "@Jane",
            "text": "Of course #YesAcme",
            "replied_at": "2026-05-01T10:00:00Z",
        },
        {"asset": 999999, "author_handle": "x", "text": "y"},
        {"author_handle": "x"},
        "not an object",
    ]
    path = tmp_path / "replies.jsonl"
    path.write_text("\n".join(json.dumps(reply) for reply in replies))
    call_command("import_rights_replies", str(path))
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "grant: 1",
        "invalid: missing text: 1",
        "invalid: not an object: 1",
        "not the creator's account: 1",
        "unknown_asset: 1",
    ]
    asset.refresh_from_db()
    assert asset.rights_state == "granted"
    assert asset.rights_requests.get().granted_at.isoformat() == "2026-05-01T10:00:00+00:00"


def test_a_file_that_is_not_json_is_a_clear_error(tmp_path):
    path = tmp_path / "replies.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("import_rights_replies", str(path))
