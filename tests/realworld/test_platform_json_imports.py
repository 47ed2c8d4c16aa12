"""Instagram Graph API and TikTok display API answers through `manage.py import_ugc`.

Every item becomes an asset that will be processed (its processing queued),
an asset waiting for its media with a reason that says what brings it, or a
failed item whose reason names the real problem. The CDN URLs in the corpus
have expired, so the corpus runs without downloading; the download half runs
on the same files with their URLs pointed at a local server.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.broker import TABLE
from tests.realworld.corpus import require as corpus
from tests.ugc.ingest_support import (  # noqa: F401  (fixtures)
    jpeg_bytes,
    local_server_fixture,
    private_media_fixture,
)
from ugc.models import Asset, ImportItem, ProcessingState

# Per file: (items the file holds, of which refused with the reason given).
EXPECTED = {
    "instagram/users_medias_p1.json": (2, 0, ""),
    "instagram/users_medias_p2.json": (4, 0, ""),  # a carousel's 3 children + 1
    "instagram/users_tagged_medias.json": (5, 0, ""),
    "instagram/users_stories.json": (2, 0, ""),
    "instagram/users_mentioned_media.json": (1, 0, ""),  # carousel without children
    "instagram/discovery_medias_p1.json": (2, 0, ""),
    "instagram/hashtags_hashtag_top_medias_p1.json": (28, 0, ""),  # 24 + 4 carousel videos
    "instagram/hashtags_hashtag_recent_medias_p1.json": (5, 5, "media_url: missing"),
    "instagram/medias_children.json": (2, 0, ""),
    "instagram/models_ig_media.json": (3, 0, ""),
    "tiktok/video_list_v2_docs_example.json": (1, 0, ""),
    "tiktok/video_list_v2_all_fields.json": (1, 0, ""),
}


def import_ugc(*args) -> str:
    out = io.StringIO()
    call_command("import_ugc", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def count(out: str, label: str) -> int:
    line = next(line for line in out.splitlines() if line.strip().startswith(label))
    return int(line.split()[-1] if label != "updated" else line.split()[1])


def queued_for_processing() -> set[int]:
    """Asset ids with a process_asset message waiting in the embedded broker."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT payload FROM {TABLE}")  # noqa: S608 (a constant)
        messages = [json.loads(payload) for (payload,) in cursor.fetchall()]
    return {
        int(message["headers"]["argsrepr"].strip("(),"))
        for message in messages
        if message["headers"].get("task") == "ugc.tasks.process_asset"
    }


def assert_nothing_received_without_a_way_out(queued: set[int]) -> None:
    stuck = Asset.objects.filter(processing_state=ProcessingState.RECEIVED, failure_reason="")
    assert set(stuck.values_list("pk", flat=True)) <= queued


@pytest.mark.django_db
def test_every_platform_file_is_imported_or_refused_with_its_reason(private_media):
    for name, (items, refused, reason) in EXPECTED.items():
        out = import_ugc(corpus(name.split("/")[0]).parent / name, "--no-download")
        created, updated = count(out, "created"), count(out, "updated")
        assert (created + updated, count(out, "failed")) == (items - refused, refused), (name, out)
        if refused:
            failed = ImportItem.objects.filter(run__source__endswith=name, outcome="failed")
            assert failed.count() == refused
            assert all(reason in item.reason for item in failed), list(failed.values("reason"))
    # Carousels come in as their children.
    assert Asset.objects.filter(platform_id="17889214265226770").exists()
    # The hashtag answer without URLs made no asset: its posts are the top-media
    # answer's, with their URLs.
    recent = json.loads(
        (corpus("instagram") / "hashtags_hashtag_recent_medias_p1.json").read_text()
    )
    ids = [media["id"] for media in recent["data"]]
    assert not Asset.objects.filter(platform_id__in=ids, source_url="").exists()
    mentioned = Asset.objects.get(platform_id="17889114512354744")
    assert mentioned.caption == "@ikroskun hey" and mentioned.source_url.startswith("https://")
    waiting = Asset.objects.filter(processing_state=ProcessingState.RECEIVED)
    assert waiting.count() == Asset.objects.count()
    with_url = waiting.exclude(source_url="")
    assert all("without --no-download" in a.failure_reason for a in with_url)
    tiktok = Asset.objects.get(platform_id="12345123451234512345")
    assert "gave no file or URL" in tiktok.failure_reason
    assert_nothing_received_without_a_way_out(queued=set())


@pytest.mark.django_db
def test_a_tiktok_error_answer_names_the_error():
    path = corpus("tiktok") / "video_list_v2_error_example.json"
    with pytest.raises(CommandError, match=r"TikTok API error .*access_token_invalid.*invalid"):
        import_ugc(path)
    assert not Asset.objects.exists()


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_no_download_then_download_fetches_and_queues_every_post(
    app_on_broker, transactional_db, private_media, local_server, tmp_path
):
    answer = json.loads((corpus("instagram") / "users_tagged_medias.json").read_text())
    for index, media in enumerate(answer["data"]):
        path = f"/tagged-{index}.jpg"
        local_server.routes[path] = (
            200, {"Content-Type": "image/jpeg"}, jpeg_bytes((40 * index, 90, 200 - 30 * index)),
        )  # fmt: skip
        media["media_url"] = local_server.url(path)
    source = tmp_path / "tagged.json"
    source.write_text(json.dumps(answer))

    first = import_ugc(source, "--no-download")
    assert count(first, "created") == 5 and not local_server.hits
    assert not Asset.objects.exclude(original="").exists()
    assert queued_for_processing() == set()
    assert_nothing_received_without_a_way_out(queued=set())

    second = import_ugc(source)
    assert "already done earlier" not in second
    assert count(second, "updated") == 5 and count(second, "failed") == 0, second
    assert len(local_server.hits) == 5
    assets = Asset.objects.all()
    assert all(a.original and a.content_sha256 and not a.failure_reason for a in assets)
    queued = queued_for_processing()
    assert queued == set(assets.values_list("pk", flat=True))
    assert_nothing_received_without_a_way_out(queued)

    third = import_ugc(source)
    assert "already done earlier         5" in third and len(local_server.hits) == 5
