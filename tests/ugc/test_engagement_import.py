"""Engagement snapshots from Instagram and TikTok exports: the command, the API and the
per-platform summary against the published medians."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.ugc.factories import AssetFactory, CoordinatorFactory
from ugc.models import AccountFollowerSnapshot, AssetEngagementSnapshot

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"
WHEN = "2026-11-01T10:00:00Z"


def insight(name, value):
    return {"name": name, "period": "lifetime", "values": [{"value": value}]}


def instagram_export(post_id="ig-post-1"):
    return {
        "captured_at": WHEN,
        "data": [
            {
                "id": post_id,
                "like_count": 40,
                "comments_count": 5,
                "insights": {
                    "data": [
                        insight("impressions", 1000),
                        insight("reach", 800),
                        insight("saved", 3),
                        insight("shares", 2),
                    ]
                },
            },
            {"id": "nobody-has-this", "like_count": 1},
            {"id": post_id, "like_count": -3, "captured_at": "2026-11-02T10:00:00Z"},
            "not an object",
            {"id": "ig-post-2", "like_count": 10, "captured_at": "yesterday"},
        ],
        "account": {"username": "AcmeBrand", "followers_count": 5000},
    }


@pytest.fixture
def api():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(CoordinatorFactory())
    return client


def test_the_command_imports_good_posts_reports_bad_ones_and_is_idempotent(tmp_path, capsys):
    asset = AssetFactory(source_platform="instagram", platform_id="ig-post-1")
    AssetFactory(source_platform="instagram", platform_id="ig-post-2")
    path = tmp_path / "insights.json"
    path.write_text(json.dumps(instagram_export()))
    call_command("import_engagement", str(path))
    out = capsys.readouterr().out
    assert "1 created" in out and "failed: 4" in out
    assert "no asset with instagram id nobody-has-this" in out
    assert "likes must be a whole number" in out
    assert "a post must be a JSON object" in out
    assert "captured_at must be an ISO 8601 time" in out
    snapshot = AssetEngagementSnapshot.objects.get()
    assert (snapshot.asset, snapshot.impressions, snapshot.reach) == (asset, 1000, 800)
    assert snapshot.engagements == 40 + 5 + 3 + 2
    assert AccountFollowerSnapshot.objects.get().handle == "acmebrand"
    call_command("import_engagement", str(path))
    assert "0 created, 0 updated, 1 unchanged" in capsys.readouterr().out
    assert AssetEngagementSnapshot.objects.count() == 1


def test_the_api_takes_tiktok_with_the_same_parser(api):
    asset = AssetFactory(source_platform="tiktok", platform_id="7300")
    body = {
        "captured_at": WHEN,
        "data": {"videos": [{"id": "7300", "view_count": 2000, "like_count": 100}, {"id": ""}]},
    }
    response = api.post("/api/v1/engagement", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    assert response.json()["failed"][0]["reason"] == "a post needs its platform `id`"
    snapshot = AssetEngagementSnapshot.objects.get(asset=asset)
    assert snapshot.video_views == 2000 and snapshot.impressions is None


@pytest.mark.parametrize(
    "body",
    [[1, 2], {"data": "x"}, {"platform": "myspace", "data": []}],
)
def test_a_document_of_the_wrong_shape_is_a_400_problem(api, body):
    response = api.post("/api/v1/engagement", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["errors"][0]["field"] == "non_field_errors"


def test_the_summary_compares_each_platform_with_its_median(api):
    ig = AssetFactory(source_platform="instagram", platform_id="a")
    tt = AssetFactory(source_platform="tiktok", platform_id="b")
    api.post(
        "/api/v1/engagement",
        {"captured_at": WHEN, "data": [{"id": "a", "impressions": 1000, "like_count": 47}]},
        format="json",
    )
    api.post(
        "/api/v1/engagement",
        {"captured_at": WHEN, "data": {"videos": [{"id": "b", "like_count": 10}]}},
        format="json",
    )
    assert ig.engagement.exists() and tt.engagement.exists()
    response = api.get("/api/v1/engagement/summary")
    assert response.status_code == 200, response.content
    rows = {row["platform"]: row for row in response.json()["platforms"]}
    assert rows["instagram"]["engagement_rate"] == pytest.approx(0.047)
    assert rows["instagram"]["benchmark_median_rate"] == 0.0047
    assert rows["instagram"]["vs_benchmark"] == pytest.approx(10)
    assert rows["tiktok"]["engagement_rate"] is None  # no impressions from TikTok
    assert rows["tiktok"]["benchmark_median_rate"] == 0.0569


@pytest.mark.parametrize(
    ("query", "field"), [("platform=myspace", "platform"), ("since=x", "since")]
)
def test_summary_parameters_are_checked(api, query, field):
    response = api.get(f"/api/v1/engagement/summary?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
