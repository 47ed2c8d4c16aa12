"""`manage.py import_ugc`: summaries, bad input beside good input, idempotency, resuming."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.ugc.factories import ProductFactory
from tests.ugc.ingest_support import (  # noqa: F401  (fixtures)
    jpeg_bytes,
    local_server_fixture,
    png_bytes,
    private_media_fixture,
)
from ugc.models import Asset, AuditEntry, ImportItem, ImportRun, ProductTag
from ugc.services import ingest as ingest_service

pytestmark = pytest.mark.django_db

HEADER = "file,url,caption,creator,platform,permalink,posted_at,product_skus,platform_id\n"


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_ugc", *map(str, args), stdout=out, stderr=err)
    return out.getvalue()


def snapshot():
    return (
        sorted(Asset.objects.values_list("id", "updated_at", "caption", "content_sha256")),
        AuditEntry.objects.count(),
        ProductTag.objects.count(),
    )


def test_csv_import_with_good_and_bad_rows_then_again(tmp_path, private_media, local_server):
    ProductFactory(sku="MUG-1")
    (tmp_path / "a.jpg").write_bytes(jpeg_bytes((1, 2, 3)))
    local_server.routes["/b.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg_bytes((9, 9, 9)))
    local_server.routes["/page"] = (200, {"Content-Type": "text/html"}, b"<html>")
    rows = [
        "a.jpg,,Good #one,ann,instagram,,2024-01-01T00:00:00Z,MUG-1;GHOST-7,",
        f",{local_server.url('/b.jpg')},Good two,bob,tiktok,,,,tt-2",
        "a.jpg,,Same file again,ann,instagram,,,,",  # duplicate row: same bytes
        ",http://2130706433/x.jpg,Loopback in disguise,eve,instagram,,,,",
        f",{local_server.url('/b.jpg', host='localhost')},Loopback by name,eve,instagram,,,,",
        ",http://169.254.169.254/latest/meta-data/,Metadata,eve,instagram,,,,",
        f",{local_server.url('/page')},Not media,eve,instagram,,,,",
        "=cmd|' /C calc'!A0,,formula,eve,instagram,,,,",  # a file name, kept as data
        "missing.jpg,,No such file,eve,instagram,,,,",
    ]
    csv_path = tmp_path / "import.csv"
    csv_path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")

    out = run(csv_path)
    assert "created                      2" in out
    assert "skipped as duplicate         1" in out
    assert "failed                       6" in out
    assert "row 4: media_url: refused 2130706433: 127.0.0.1" in out
    assert "row 5: media_url: refused localhost" in out
    assert "row 6: media_url: refused 169.254.169.254" in out
    assert "row 7: media_url: content type 'text/html'" in out
    assert "row 8: file not found: " in out and "=cmd|' /C calc'!A0" in out
    assert "row 9: file not found" in out
    assert "warning: row 1: unknown SKU(s), not tagged: GHOST-7" in out
    assert Asset.objects.count() == 2
    good = Asset.objects.get(caption="Good #one")
    assert good.hashtags == ["one"] and good.products.get().sku == "MUG-1"
    hits = list(local_server.hits)

    before = snapshot()
    again = run(csv_path)
    assert "already done earlier         3" in again  # failed rows are tried again
    assert "created                      0" in again
    assert snapshot() == before
    assert local_server.hits == [*hits, "/page"]  # only the failed row's URL again


def test_missing_columns_stop_the_import_with_one_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("caption,permalink\nx,y\n")
    with pytest.raises(CommandError, match="missing required column"):
        run(path)
    assert not ImportRun.objects.exists()


def test_a_crashed_import_resumes_where_it_stopped(tmp_path, private_media, monkeypatch):
    rows = [f",,caption {i},ann,instagram,,,,post-{i}" for i in range(10)]
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    real = ingest_service.ingest_many
    calls = {"n": 0}

    def crash_on_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed mid-import")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_service, "ingest_many", crash_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        run(path, "--batch-size", 3)
    assert Asset.objects.count() == 6
    assert ImportItem.objects.count() == 6

    monkeypatch.setattr(ingest_service, "ingest_many", real)
    out = run(path, "--batch-size", 3)
    assert "already done earlier         6" in out
    assert "created                      4" in out
    assert Asset.objects.count() == 10
    assert sorted(Asset.objects.values_list("platform_id", flat=True)) == sorted(
        f"post-{i}" for i in range(10)
    )
    assert ImportRun.objects.get().summary == {
        "created": 10,
        "updated": 0,
        "duplicate": 0,
        "failed": 0,
    }


INSTAGRAM = {
    "data": [
        {
            "id": "1",
            "caption": "hello #a",
            "media_type": "IMAGE",
            "media_url": "{base}/1.jpg",
            "permalink": "https://www.instagram.com/p/1/",
            "timestamp": "2024-03-01T09:30:00+0000",
            "username": "ann",
            "like_count": 3,
            "comments_count": 1,
        },
        {
            "id": "2",
            "media_type": "CAROUSEL_ALBUM",
            "username": "bob",
            "children": {
                "data": [
                    {"id": "2a", "media_type": "IMAGE", "media_url": "{base}/2a.png"},
                    {"id": "2b", "media_type": "IMAGE", "media_url": "http://10.0.0.8/x.jpg"},
                ]
            },
        },
        {"id": "3", "media_type": "SHOUT"},
        "garbage",
    ],
    "paging": {"cursors": {"after": "x"}},
}


def test_instagram_export_twice_changes_nothing(tmp_path, private_media, local_server):
    local_server.routes["/1.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg_bytes())
    local_server.routes["/2a.png"] = (200, {"Content-Type": "image/png"}, png_bytes())
    text = json.dumps(INSTAGRAM).replace("{base}", local_server.url("").rstrip("/"))
    path = tmp_path / "media.json"
    path.write_text(text)
    out = run(path)
    assert "import instagram" not in out  # the bar goes to stderr
    assert "created                      2" in out and "failed                       3" in out
    assert "refused 10.0.0.8" in out and "expected a media object, got str" in out
    one = Asset.objects.get(platform_id="1")
    assert one.platform_metrics == {"likes": 3, "comments": 1} and one.creator.handle == "ann"
    assert Asset.objects.get(platform_id="2a").mime_type == "image/png"

    before = snapshot()
    # The same export saved again elsewhere: a new run, every item an unchanged update.
    copy = tmp_path / "copy.json"
    copy.write_text(text)
    again = run(copy)
    assert "updated                      2  (2 unchanged)" in again
    assert snapshot() == before


def test_tiktok_export_as_metadata(tmp_path, private_media):
    document = {
        "data": {
            "videos": [
                {
                    "id": "77",
                    "video_description": "unboxing #mug",
                    "share_url": "https://www.tiktok.com/@ann/video/77",
                    "embed_link": "https://www.tiktok.com/embed/77",
                    "create_time": 1714557600,
                    "view_count": 1000,
                    "duration": 9,
                    "width": 720,
                    "height": 1280,
                },
                {"id": None},
            ]
        }
    }
    path = tmp_path / "tiktok.json"
    path.write_text(json.dumps(document))
    out = run(path, "--kind", "tiktok")
    assert "created                      1" in out and "failed                       1" in out
    asset = Asset.objects.get()
    assert asset.media_type == "video" and asset.source_platform == "tiktok"
    assert (asset.width, asset.height, asset.duration_seconds) == (720, 1280, 9.0)
    assert asset.platform_metrics == {"views": 1000} and not asset.original


def test_folder_import_and_a_file_added_later(tmp_path, private_media):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "one.jpg").write_bytes(jpeg_bytes((1, 1, 1)))
    (folder / "notes.txt").write_text("not media")
    (folder / "zero.jpg").write_bytes(b"")
    out = run(folder, "--platform", "review")
    assert "created                      1" in out and "failed                       2" in out
    assert "zero.jpg: the file is empty" in out
    (folder / "two.jpg").write_bytes(jpeg_bytes((2, 2, 2)))
    out = run(folder, "--platform", "review")
    assert "created                      1" in out and "already done earlier         1" in out
    assert set(Asset.objects.values_list("source_platform", flat=True)) == {"review"}
    assert Asset.objects.count() == 2


def test_unknown_kind_and_missing_path(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "nope.csv")
    odd = tmp_path / "data.xml"
    odd.write_text("<x/>")
    with pytest.raises(CommandError, match="--kind"):
        run(odd)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        run(broken)
