"""/api/v1/assets/: roles, filters, ordering, cursor pagination, edits, uploads, deletes."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from tests.ugc.factories import (
    AssetFactory,
    ContentCategoryFactory,
    CoordinatorFactory,
    CreatorFactory,
    ProductFactory,
    ProductLineFactory,
    ProductLineTagFactory,
    ProductTagFactory,
    RenditionFactory,
    UserFactory,
)
from tests.ugc.ingest_support import jpeg_bytes, private_media_fixture  # noqa: F401
from ugc.models import Asset, AuditEntry, Rendition

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"
LIST = "/api/v1/assets/"


@pytest.fixture
def api():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(CoordinatorFactory())
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    return response.json()


def fields(body: dict) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


# -- roles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LIST),
        ("post", LIST),
        ("get", "/api/v1/assets/1"),
        ("patch", "/api/v1/assets/1"),
        ("delete", "/api/v1/assets/1"),
        ("post", "/api/v1/assets/1/reprocess"),
        ("post", "/api/v1/assets/reprocess"),
    ],
)
def test_anonymous_is_401_and_non_coordinators_403(method, path):
    client = APIClient(raise_request_exception=False)
    assert "credentials" in problem(getattr(client, method)(path), 401)["detail"]
    client.force_authenticate(UserFactory())
    assert "coordinator" in problem(getattr(client, method)(path), 403)["detail"]


# -- reading ---------------------------------------------------------------------------


def test_list_and_detail_carry_renditions_for_srcset(api, django_assert_max_num_queries):
    quality = {  # the shape ugc.media.measures.quality() stores
        "width": 3024,
        "height": 4032,
        "aspect_ratio": None,
        "sharpness": 88.1,
        "parts": {"sharpness": 0.58, "exposure": 0.9},
    }
    asset = AssetFactory(caption="Hi #there", quality_score=0.7, quality=quality)
    for width in (320, 640, 1080):
        RenditionFactory(asset=asset, width=width, format="webp")
        RenditionFactory(asset=asset, width=width, format="jpeg")
    ProductTagFactory(asset=asset, product=ProductFactory(sku="MUG-1"))
    for _ in range(5):
        RenditionFactory()
    with django_assert_max_num_queries(12):
        response = api.get(LIST)
    assert response.status_code == 200
    body = api.get(f"/api/v1/assets/{asset.pk}").json()
    assert body["caption"] == "Hi #there" and body["quality_score"] == 0.7
    assert body["quality"] == quality
    assert [(r["format"], r["width"]) for r in body["renditions"]][:3] == [
        ("jpeg", 320),
        ("jpeg", 640),
        ("jpeg", 1080),
    ]
    assert body["srcset"]["webp"].endswith("1080.webp 1080w")
    assert body["srcset"]["webp"].count("w,") == 2
    assert body["products"][0]["sku"] == "MUG-1"
    assert body["creator"]["handle"] == asset.creator.handle
    assert problem(api.get("/api/v1/assets/999999"), 404)


def test_filters(api):
    shoes = ProductLineFactory(slug="shoes")
    running = ProductLineFactory(slug="running", parent=shoes)
    trail = ProductLineFactory(slug="trail", parent=running)
    bags = ProductLineFactory(slug="bags")
    lifestyle = ContentCategoryFactory(slug="lifestyle")
    ann = CreatorFactory(handle="ann")
    day = datetime(2024, 6, 1, tzinfo=UTC)

    tagged_line = AssetFactory(content_type=lifestyle, posted_at=day, quality_score=0.9)
    ProductLineTagFactory(asset=tagged_line, product_line=trail)
    tagged_product = AssetFactory(
        source_platform="tiktok", media_type="video", creator=ann, quality_score=0.4
    )
    ProductTagFactory(
        asset=tagged_product, product=ProductFactory(sku="RUN-1", product_line=running)
    )
    bag = AssetFactory(posted_at=day - timedelta(days=30), moderation_state="approved")
    ProductLineTagFactory(asset=bag, product_line=bags)
    suggestion = AssetFactory(rights_state="granted")
    ProductLineTagFactory(asset=suggestion, product_line=shoes, accepted=False)

    def query(**params):
        return sorted(ids(api.get(LIST, params)))

    assert query(product_line="shoes") == sorted([tagged_line.pk, tagged_product.pk])
    assert query(product_line="trail") == [tagged_line.pk]
    assert query(product_line="bags,trail") == sorted([bag.pk, tagged_line.pk])
    assert query(product="RUN-1") == [tagged_product.pk]
    assert query(content_type="lifestyle") == [tagged_line.pk]
    assert query(platform="tiktok") == [tagged_product.pk]
    assert len(query(platform=["tiktok", "instagram"])) == 4
    assert query(media_type="video") == [tagged_product.pk]
    assert query(moderation_state="approved") == [bag.pk]
    assert query(rights_state="granted") == [suggestion.pk]
    assert len(query(processing_state="received")) == 4
    assert query(creator=ann.pk) == [tagged_product.pk]
    assert query(creator_handle="@Ann") == [tagged_product.pk]
    assert query(posted_after="2024-05-15T00:00:00Z") == [tagged_line.pk]
    assert query(posted_before="2024-05-15T00:00:00Z") == [bag.pk]
    assert len(query(created_after=(datetime.now(UTC) - timedelta(hours=1)).isoformat())) == 4
    assert query(min_quality="0.5") == [tagged_line.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"platform": "myspace"}, "platform"),
        ({"posted_after": "last tuesday"}, "posted_after"),
        ({"min_quality": "high"}, "min_quality"),
        ({"creator": "ann"}, "creator"),
        ({"ordering": "caption"}, "ordering"),
        ({"processing_state": "done"}, "processing_state"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(api, params, field):
    assert field in fields(problem(api.get(LIST, params), 400))


def test_ordering_and_cursor_pagination(api):
    base = datetime(2024, 1, 1, tzinfo=UTC)
    assets = [
        AssetFactory(posted_at=base + timedelta(days=i % 3), quality_score=(i % 4) / 4)
        for i in range(9)
    ]
    AssetFactory(posted_at=None, quality_score=None)

    def walk(**params) -> list[int]:
        seen, url, pages = [], LIST, 0
        response = api.get(url, {"limit": 2, **params})
        while True:
            pages += 1
            seen += ids(response)
            url = response.json()["next"]
            if not url:
                break
            response = api.get(url)
        assert pages == 5
        return seen

    newest_first = walk()
    assert newest_first == sorted(newest_first, reverse=True)
    by_posted = walk(ordering="posted_at")
    assert len(by_posted) == len(set(by_posted)) == 10
    posted = {a.pk: a.posted_at for a in Asset.objects.all()}
    keys = [posted[pk] or datetime.max.replace(tzinfo=UTC) for pk in by_posted]
    assert keys[:9] == sorted(keys[:9])
    by_quality = walk(ordering="-quality_score")
    assert len(set(by_quality)) == 10
    quality = {a.pk: a.quality_score for a in assets}
    scores = [quality.get(pk, -1) for pk in by_quality]
    assert scores == sorted(scores, reverse=True)


# -- editing ---------------------------------------------------------------------------


def test_patch_edits_metadata_through_the_service(api):
    asset = AssetFactory(caption="old")
    ContentCategoryFactory(slug="unboxing")
    response = api.patch(
        f"/api/v1/assets/{asset.pk}",
        {"caption": "new #Look @Bob", "content_type": "unboxing", "tags": ["a", "b"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["hashtags"] == ["look"] and body["mentions"] == ["bob"]
    assert body["content_type"] == "unboxing" and body["tags"] == ["a", "b"]
    entry = AuditEntry.objects.get(asset=asset, action="update")
    assert entry.changes["caption"] == ["old", "new #Look @Bob"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"processing_state": "in_review"}, "processing_state"),
        ({"moderation_state": "approved"}, "moderation_state"),
        ({"rights_state": "granted"}, "rights_state"),
        ({"content_sha256": "0" * 64}, "content_sha256"),
        ({"content_type": "no-such-category"}, "content_type"),
        ({"permalink": "javascript:alert(1)"}, "permalink"),
        ({"posted_at": "soon"}, "posted_at"),
        ({"tags": ["x" * 101]}, "tags.0"),
        ({"media_type": "hologram"}, "media_type"),
    ],
)
def test_patch_refuses_states_and_bad_values_naming_the_field(api, payload, field):
    asset = AssetFactory()
    body = problem(api.patch(f"/api/v1/assets/{asset.pk}", payload, format="json"), 400)
    assert field in fields(body)
    asset.refresh_from_db()
    assert asset.processing_state == "received" and asset.moderation_state == "pending"


def test_delete_removes_the_row_and_its_files(
    api, private_media, django_capture_on_commit_callbacks
):
    upload = ContentFile(jpeg_bytes(), name="x.jpg")
    created = api.post(LIST, {"files": [upload]}, format="multipart").json()
    asset = Asset.objects.get(pk=created["results"][0]["asset_id"])
    rendition = Rendition(
        asset=asset, kind="image", format="webp", width=320, height=240, byte_size=3
    )
    rendition.file.save("r/x-320.webp", ContentFile(b"abc"), save=True)
    original, served = asset.original.path, rendition.file.path
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/assets/{asset.pk}").status_code == 204
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert not os.path.exists(original) and not os.path.exists(served)
    assert problem(api.delete(f"/api/v1/assets/{asset.pk}"), 404)


# -- uploading -------------------------------------------------------------------------


def test_upload_one_file_with_metadata(api, private_media):
    ProductFactory(sku="MUG-1")
    response = api.post(
        LIST,
        {
            "files": [ContentFile(jpeg_bytes(), name="morning.jpg")],
            "platform": "review",
            "caption": "Love it #mug",
            "creator_handle": "@Ann",
            "product_skus": "MUG-1,NOPE",
            "tags": ["a", "b"],
            "posted_at": "2024-05-01T10:00:00Z",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    (result,) = response.json()["results"]
    assert result["status"] == "created" and result["filename"] == "morning.jpg"
    assert result["warnings"] == ["unknown SKU(s), not tagged: NOPE"]
    asset = Asset.objects.get(pk=result["asset_id"])
    assert asset.source_platform == "review" and asset.hashtags == ["mug"]
    assert asset.creator.handle == "ann" and asset.tags == ["a", "b"]
    assert asset.products.get().sku == "MUG-1"


def test_upload_many_files_each_with_its_own_outcome(api, private_media, settings):
    settings.UGC_MAX_UPLOAD_BYTES = 2000
    good = jpeg_bytes((5, 5, 5))
    assert len(good) < 2000
    response = api.post(
        LIST,
        {
            "files": [
                ContentFile(good, name="good.jpg"),
                ContentFile(good, name="same-again.jpg"),
                ContentFile(b"", name="empty.jpg"),
                ContentFile(b"x" * 2001, name="huge.mp4"),
                ContentFile(jpeg_bytes((7, 7, 7)), name="second.jpg"),
            ]
        },
        format="multipart",
    )
    assert response.status_code == 207, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "created",
        "duplicate",
        "failed",
        "failed",
        "created",
    ]
    assert (body["created"], body["duplicate"], body["failed"]) == (2, 1, 2)
    assert "empty" in body["results"][2]["reason"]
    assert "2,000-byte limit" in body["results"][3]["reason"]
    assert body["results"][1]["asset_id"] == body["results"][0]["asset_id"]
    assert Asset.objects.count() == 2

    again = api.post(LIST, {"files": [ContentFile(good, name="g.jpg")]}, format="multipart")
    assert again.status_code == 200 and again.json()["duplicate"] == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "files"),
        ({"caption": "no files"}, "files"),
        ({"files": "not-a-file"}, "files"),
        ({"platform": "myspace", "files": "<file>"}, "platform"),
        ({"posted_at": "tomorrow-ish", "files": "<file>"}, "posted_at"),
        ({"permalink": "ftp://x", "files": "<file>"}, "permalink"),
        ({"content_type": "nope", "files": "<file>"}, "content_type"),
        ({"platform_id": "p1", "files": "<two>"}, "platform_id"),
    ],
)
def test_upload_bad_requests_are_400_naming_the_field(api, private_media, data, field):
    files = {
        "<file>": [ContentFile(jpeg_bytes(), name="a.jpg")],
        "<two>": [ContentFile(jpeg_bytes(), name="a.jpg"), ContentFile(b"1", name="b.jpg")],
    }
    if data.get("files") in files:
        data = {**data, "files": files[data["files"]]}
    body = problem(api.post(LIST, data, format="multipart"), 400)
    assert any(name.split(".")[0] == field for name in fields(body)), body
    assert Asset.objects.count() == 0


def test_upload_with_a_known_platform_id_updates_and_keeps_the_first_original(api, private_media):
    first = api.post(
        LIST,
        {
            "files": [ContentFile(jpeg_bytes((1, 1, 1)), name="a.jpg")],
            "platform_id": "p9",
            "platform": "instagram",
            "caption": "v1",
        },
        format="multipart",
    )
    assert first.status_code == 201
    second = api.post(
        LIST,
        {
            "files": [ContentFile(jpeg_bytes((2, 2, 2)), name="b.jpg")],
            "platform_id": "p9",
            "platform": "instagram",
            "caption": "v2 #new",
        },
        format="multipart",
    )
    assert second.status_code == 200, second.content
    (result,) = second.json()["results"]
    assert result["status"] == "updated"
    assert result["asset_id"] == first.json()["results"][0]["asset_id"]
    assert "already has its original" in result["warnings"][0]
    asset = Asset.objects.get()
    assert asset.caption == "v2 #new" and asset.original_filename == "a.jpg"


def test_upload_as_json_is_a_clear_400(api):
    body = problem(api.post(LIST, {"caption": "x"}, format="json"), 400)
    assert "files" in fields(body)


# -- reprocessing ----------------------------------------------------------------------


def test_reprocess_one_and_many(api):
    one, two = AssetFactory(), AssetFactory()
    response = api.post(f"/api/v1/assets/{one.pk}/reprocess")
    assert response.status_code == 202, response.content
    assert response.json() == {"asset_ids": [one.pk], "not_found": []}
    response = api.post(
        "/api/v1/assets/reprocess", {"asset_ids": [two.pk, 999999, two.pk]}, format="json"
    )
    assert response.status_code == 202
    assert response.json() == {"asset_ids": [two.pk], "not_found": [999999]}
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.processing_state == two.processing_state == "processing"
    assert problem(api.post("/api/v1/assets/999999/reprocess"), 404)


def test_bulk_reprocess_validates_its_body(api):
    assert "asset_ids" in fields(problem(api.post("/api/v1/assets/reprocess", {}), 400))
    body = problem(api.post("/api/v1/assets/reprocess", {"asset_ids": ["x"]}, format="json"), 400)
    assert "asset_ids.0" in fields(body)


# -- schema ----------------------------------------------------------------------------


def test_every_asset_operation_and_its_errors_are_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    paths = schema["paths"]
    expected = {
        "/api/v1/assets/": {"get", "post"},
        "/api/v1/assets/{id}": {"get", "patch", "delete"},
        "/api/v1/assets/{id}/reprocess": {"post"},
        "/api/v1/assets/reprocess": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            responses = paths[path][method]["responses"]
            for code in ("400", "401", "403"):
                assert "application/problem+json" in responses[code]["content"], (path, code)
    upload = paths["/api/v1/assets/"]["post"]
    assert {"200", "201", "207", "413"} <= set(upload["responses"])
    params = {p["name"] for p in paths["/api/v1/assets/"]["get"]["parameters"]}
    assert {"product_line", "product", "platform", "min_quality", "ordering", "cursor"} <= params


def test_the_edit_shape_only_offers_what_the_service_may_edit():
    from ugc.api.serializers import AssetUpdateSerializer
    from ugc.services.assets import EDITABLE_FIELDS

    assert set(AssetUpdateSerializer().fields) <= EDITABLE_FIELDS
