"""ugc.services.ingest: one way in, idempotent, clear outcomes."""

from __future__ import annotations

import io

import pytest

from tests.ugc.factories import ContentCategoryFactory, ProductFactory, ProductLineFactory
from tests.ugc.ingest_support import (  # noqa: F401  (fixtures)
    jpeg_bytes,
    local_server_fixture,
    private_media_fixture,
)
from ugc.models import Asset, AuditEntry, ProcessingState, TagSource
from ugc.services.ingest import AssetInput, ingest, ingest_many
from ugc.tasks import embed_assets, process_asset

pytestmark = pytest.mark.django_db


def test_a_file_becomes_a_received_asset_with_its_original_stored(private_media):
    ProductFactory(sku="MUG-1")
    line = ProductLineFactory(slug="mugs")
    ContentCategoryFactory(slug="lifestyle")
    data = jpeg_bytes()
    item = AssetInput(
        platform="instagram",
        caption="Morning #Coffee with @Jane.Doe",
        creator_handle="@Barista",
        creator_name="The Barista",
        platform_id="ig-1",
        content_type="lifestyle",
        product_skus=["MUG-1", "NOPE-9"],
        product_line_slugs=[line.slug],
        tags=["cosy"],
        platform_metrics={"likes": 10},
    )
    outcome = ingest(item, file=io.BytesIO(data), filename="morning.JPG")
    assert outcome.status == "created", outcome
    assert outcome.warnings == ["unknown SKU(s), not tagged: NOPE-9"]
    asset = Asset.objects.get(pk=outcome.asset_id)
    assert asset.processing_state == ProcessingState.RECEIVED
    assert asset.hashtags == ["coffee"] and asset.mentions == ["jane.doe"]
    assert asset.creator.handle == "barista" and asset.creator.display_name == "The Barista"
    assert asset.original_filename == "morning.JPG" and asset.mime_type == "image/jpeg"
    assert asset.byte_size == len(data) and len(asset.content_sha256) == 64
    assert asset.content_type.slug == "lifestyle"
    with asset.original.open("rb") as handle:
        assert handle.read() == data
    assert str(private_media) in asset.original.path
    assert [t.product.sku for t in asset.product_tags.all()] == ["MUG-1"]
    assert asset.product_tags.get().source == TagSource.IMPORT
    assert asset.product_line_tags.get().product_line == line
    assert AuditEntry.objects.filter(asset=asset, action="create").count() == 1


def test_processing_is_requested_once_the_row_is_committed(
    private_media, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    for task in (process_asset, embed_assets):
        monkeypatch.setattr(
            task, "apply_async", lambda args, kwargs, name=task.name: sent.append((name, args))
        )
    with django_capture_on_commit_callbacks() as callbacks:
        outcome = ingest(AssetInput(), file=io.BytesIO(jpeg_bytes()), filename="a.jpg")
        assert sent == []  # nothing before the commit
    assert outcome.status == "created"
    for callback in callbacks:
        callback()
    # The pipeline and the search index, each queued once and only after the commit.
    assert sorted(sent) == [
        ("ugc.tasks.embed_assets", ([outcome.asset_id],)),
        ("ugc.tasks.process_asset", (outcome.asset_id,)),
    ]


def test_same_bytes_again_is_a_duplicate_and_stores_nothing(private_media):
    data = jpeg_bytes()
    first = ingest(AssetInput(), file=io.BytesIO(data), filename="a.jpg")
    second = ingest(AssetInput(caption="other"), file=io.BytesIO(data), filename="b.jpg")
    assert second.status == "duplicate" and second.asset_id == first.asset_id
    assert Asset.objects.count() == 1
    assert len(list((private_media / "originals").rglob("*.jpg"))) == 1


def test_same_platform_id_updates_metadata_without_downloading_again(private_media, local_server):
    local_server.routes["/a.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg_bytes())
    item = AssetInput(platform="instagram", platform_id="p1", media_url=local_server.url("/a.jpg"))
    assert ingest(item).status == "created"
    assert local_server.hits == ["/a.jpg"]
    again = ingest(item)
    assert again.status == "updated" and not again.changed
    item.caption = "now with a caption #new"
    changed = ingest(item)
    assert changed.status == "updated" and changed.changed
    assert Asset.objects.get().hashtags == ["new"]
    assert local_server.hits == ["/a.jpg"]  # never fetched twice


def test_metadata_only_first_then_media_later(private_media, local_server):
    local_server.routes["/v.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg_bytes())
    item = AssetInput(platform="tiktok", platform_id="t1", media_url=local_server.url("/v.jpg"))
    first = ingest_many([item], download=False)[0]
    assert first.status == "created"
    asset = Asset.objects.get()
    assert not asset.original and asset.source_url == item.media_url
    assert local_server.hits == []
    later = ingest(item)
    assert later.status == "updated" and later.changed
    asset.refresh_from_db()
    assert asset.original and asset.content_sha256 and local_server.hits == ["/v.jpg"]


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (AssetInput(platform="myspace", platform_id="x"), "platform"),
        (AssetInput(permalink="javascript:alert(1)", platform_id="x"), "permalink"),
        (AssetInput(), "needs a file, a URL or a platform id"),
        (AssetInput(file_path="/no/such/file.jpg"), "file not found"),
        (AssetInput(media_url="http://169.254.169.254/latest/meta-data/"), "link-local"),
    ],
)
def test_bad_items_fail_with_a_reason(private_media, item, reason):
    outcome = ingest(item)
    assert outcome.status == "failed" and reason in outcome.reason
    assert Asset.objects.count() == 0


def test_empty_and_oversize_files_fail(private_media, settings):
    settings.UGC_MAX_UPLOAD_BYTES = 100
    empty = ingest(AssetInput(), file=io.BytesIO(b""), filename="zero.jpg")
    assert empty.status == "failed" and "empty" in empty.reason
    big = ingest(AssetInput(), file=io.BytesIO(b"x" * 101), filename="big.jpg")
    assert big.status == "failed" and "100-byte limit" in big.reason
    assert Asset.objects.count() == 0
    assert not list(private_media.rglob("*.jpg")) if private_media.exists() else True


def test_a_batch_keeps_its_good_items_and_merges_repeated_posts(private_media):
    ProductFactory(sku="S1")
    items = [
        AssetInput(platform="instagram", platform_id="a", caption="one", product_skus=["S1"]),
        AssetInput(platform="nowhere", platform_id="b"),
        AssetInput(platform="instagram", platform_id="a", caption="one again"),
        AssetInput(platform="instagram", platform_id="c", creator_handle="Same"),
        AssetInput(platform="instagram", platform_id="d", creator_handle="same"),
    ]
    outcomes = ingest_many(items, download=False)
    assert [o.status for o in outcomes] == ["created", "failed", "updated", "created", "created"]
    assert Asset.objects.count() == 3
    assert Asset.objects.get(platform_id="a").caption == "one again"
    assert Asset.objects.get(platform_id="a").product_tags.count() == 1
    assert Asset.objects.get(platform_id="c").creator == Asset.objects.get(platform_id="d").creator
    assert ingest_many(items, download=False)[0].changed is False or True
    again = ingest_many(items, download=False)
    assert [o.status for o in again] == ["updated", "failed", "updated", "updated", "updated"]


def test_values_the_database_cannot_hold_are_cleaned_not_fatal(private_media):
    items = [
        AssetInput(platform="tiktok", platform_id="nul", caption="bad\x00byte #ok"),
        AssetInput(platform="tiktok", platform_id="long", caption="#" + "a" * 200 + " #fine"),
        AssetInput(
            platform="tiktok",
            platform_id="huge",
            width=10**12,
            height=-5,
            platform_metrics={"likes": 10**30, "views": 7},
        ),
    ]
    outcomes = ingest_many(items, download=False)
    assert [o.status for o in outcomes] == ["created"] * 3
    assert Asset.objects.get(platform_id="nul").caption == "badbyte #ok"
    assert Asset.objects.get(platform_id="long").hashtags == ["fine"]
    huge = Asset.objects.get(platform_id="huge")
    assert huge.width is None and huge.height is None
    assert huge.platform_metrics == {"views": 7}


def test_a_failed_bulk_insert_falls_back_to_one_by_one(private_media, monkeypatch):
    from django.db import DatabaseError

    from ugc.services import ingest as service

    def broken(*args, **kwargs):
        raise DatabaseError("simulated: one row in the batch cannot be stored")

    monkeypatch.setattr(service, "copy_insert", broken)
    items = [AssetInput(platform="instagram", platform_id=str(i)) for i in range(3)]
    assert [o.status for o in ingest_many(items, download=False)] == ["created"] * 3
    assert Asset.objects.count() == 3


def test_reimporting_known_posts_updates_what_changed_and_costs_little_when_nothing_did(
    private_media, django_assert_max_num_queries
):
    ProductFactory(sku="S1")
    ProductFactory(sku="S2")
    first = [
        AssetInput(
            platform="instagram",
            platform_id=f"p{i}",
            caption=f"post {i}",
            creator_handle="ann",
            product_skus=["S1"],
            platform_metrics={"likes": i},
        )
        for i in range(30)
    ]
    assert {o.status for o in ingest_many(first, download=False)} == {"created"}
    with django_assert_max_num_queries(8):
        again = ingest_many(first, download=False)
    assert {(o.status, o.changed) for o in again} == {("updated", False)}

    changed = AssetInput(
        platform="instagram",
        platform_id="p3",
        caption="post 3 edited #new",
        creator_handle="bob",
        product_skus=["S1", "S2"],
        platform_metrics={"likes": 99, "comments": 1},
    )
    (outcome,) = ingest_many([changed], download=False)
    assert outcome.status == "updated" and outcome.changed
    asset = Asset.objects.get(platform_id="p3")
    assert asset.hashtags == ["new"] and asset.creator.handle == "bob"
    assert sorted(asset.products.values_list("sku", flat=True)) == ["S1", "S2"]
    assert asset.platform_metrics == {"likes": 99, "comments": 1}
    assert AuditEntry.objects.filter(asset=asset, action="update").count() == 1


def test_metadata_only_media_type_follows_the_url():
    items = [
        AssetInput(platform="x", platform_id="v", media_url="https://cdn.test/clip.MP4?sig=1"),
        AssetInput(platform="x", platform_id="i", media_url="https://cdn.test/photo"),
    ]
    ingest_many(items, download=False)
    assert Asset.objects.get(platform_id="v").media_type == "video"
    assert Asset.objects.get(platform_id="i").media_type == "image"


def test_a_post_met_twice_in_one_batch_is_downloaded_once(private_media, local_server):
    local_server.routes["/p.jpg"] = (200, {"Content-Type": "image/jpeg"}, jpeg_bytes())
    url = local_server.url("/p.jpg")
    ingest_many([AssetInput(platform="x", platform_id="twice", media_url=url)], download=False)
    items = [AssetInput(platform="x", platform_id="twice", media_url=url) for _ in range(2)]
    first, second = ingest_many(items)
    assert (first.status, first.changed) == ("updated", True)
    assert (second.status, second.changed, second.warnings) == ("updated", False, [])
    assert local_server.hits == ["/p.jpg"]


def _pictures(local_server, count: int) -> list[AssetInput]:
    items = []
    for n in range(count):
        path = f"/pic{n}.jpg"
        body = jpeg_bytes(color=(n * 20 % 256, 40, 200 - n * 10 % 200))
        local_server.routes[path] = (200, {"Content-Type": "image/jpeg"}, body)
        items.append(
            AssetInput(platform="x", platform_id=f"p{n}", media_url=local_server.url(path))
        )
    return items


@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_batch_downloads_a_few_at_a_time_ahead_of_its_rows(
    private_media, local_server, settings, concurrency
):
    # A platform's CDN takes its time: the batch keeps at most UGC_FETCH_CONCURRENCY
    # downloads going (and no more on temporary disk), and stores every one.
    settings.UGC_FETCH_CONCURRENCY = concurrency
    local_server.delay = 0.15
    outcomes = ingest_many(_pictures(local_server, 8))
    assert [o.status for o in outcomes] == ["created"] * 8
    assert len(local_server.hits) == 8
    assert local_server.most_at_once == concurrency
    stored = Asset.objects.filter(platform_id__startswith="p").exclude(original="")
    assert stored.count() == 8
    assert all((private_media / a.original.name).is_file() for a in stored)


def test_failed_downloads_fail_only_their_items_and_leave_no_temporary_file(
    private_media, local_server, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    settings.UGC_FETCH_CONCURRENCY = 3
    items = _pictures(local_server, 3)
    local_server.routes["/page.html"] = (200, {"Content-Type": "text/html"}, b"<html>")
    items[1:1] = [
        AssetInput(platform="x", platform_id="gone", media_url=local_server.url("/gone.jpg")),
        AssetInput(platform="x", platform_id="html", media_url=local_server.url("/page.html")),
        AssetInput(platform="x", platform_id="again", media_url=items[0].media_url),
    ]
    outcomes = ingest_many(items)
    assert [o.status for o in outcomes] == [
        "created", "failed", "failed", "duplicate", "created", "created"
    ]  # fmt: skip
    assert "HTTP 404" in outcomes[1].reason and "text/html" in outcomes[2].reason
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_batch_stopped_midway_leaves_no_download_behind(
    private_media, local_server, settings, tmp_path, monkeypatch
):
    # A worker told to stop while the next downloads are on disk: they are deleted,
    # and only the rows stored before the stop exist.
    from ugc.services import ingest as service

    class Stop(BaseException):
        pass

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    settings.UGC_FETCH_CONCURRENCY = 4
    recorded = service.record

    def record_twice_then_stop(asset, *args, **kwargs):
        if Asset.objects.filter(platform_id__startswith="p").count() == 3:
            raise Stop  # while storing the third post
        return recorded(asset, *args, **kwargs)

    monkeypatch.setattr(service, "record", record_twice_then_stop)
    with pytest.raises(Stop):
        ingest_many(_pictures(local_server, 8))
    assert Asset.objects.filter(platform_id__startswith="p").count() == 2
    assert list((tmp_path / "tmp").iterdir()) == []
    assert len(list(private_media.rglob("*.jpg"))) == 2
