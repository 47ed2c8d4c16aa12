"""The workspace's pages: they render for each role, escape user text, and count
the same queries whatever the page size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.ugc.factories import (
    AssetFactory,
    ProductLineTagFactory,
    RenditionFactory,
    UserFactory,
)
from tests.ugc.test_search_query import make_assets

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


def in_review(**kwargs):
    return AssetFactory(processing_state="in_review", **kwargs)


def test_library_needs_a_login(client):
    response = client.get(reverse("workspace:library"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_a_role_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(reverse("workspace:library")).status_code == 403


def test_library_lists_assets_with_thumbnails_and_facets(client, coordinator):
    asset = in_review(source_platform="tiktok")
    RenditionFactory(asset=asset, width=320)
    in_review(source_platform="instagram")
    response = client.get(reverse("workspace:library"))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="tile-{asset.pk}"' in body
    assert f"renditions/{asset.pk}/320.webp" in body
    assert 'TikTok</a> <span class="count">1</span>' in body


def test_library_filters_by_a_facet(client, coordinator):
    tiktok = in_review(source_platform="tiktok")
    other = in_review(source_platform="instagram")
    body = client.get(reverse("workspace:library"), {"platform": "tiktok"}).content.decode()
    assert f'id="tile-{tiktok.pk}"' in body
    assert f'id="tile-{other.pk}"' not in body


def test_library_escapes_captions_and_handles(client, coordinator):
    asset = in_review(caption=XSS)
    asset.creator.handle = XSS
    asset.creator.save()
    body = client.get(reverse("workspace:library")).content.decode()
    assert XSS not in body
    assert "&lt;script&gt;" in body


def test_a_tile_shows_what_the_template_filters_used_to_work_out(client, coordinator):
    asset = in_review(caption="x" * 200, alt_text="", media_type="video")
    asset.creator.handle = "ann"
    asset.creator.save()
    body = client.get(reverse("workspace:library")).content.decode()
    tile = body[body.index(f'id="tile-{asset.pk}"') :]
    tile = tile[: tile.index("</li>")]
    assert '<span class="no-thumb">Processed</span>' in tile  # no rendition yet
    assert f'href="{reverse("workspace:asset", args=[asset.pk])}"' in tile
    # Two lines' worth, 120 characters, the last an ellipsis: product names show.
    assert f"@ann · {'x' * 119}…</p>" in tile
    assert 'aria-label="video"' in tile
    assert 'badge m-pending">Pending' in tile


def test_more_like_this_on_the_asset_page_leaves_out_the_asset(client, coordinator):
    original, cousin, unrelated = make_assets(
        {"caption": "sunset picnic with a linen blanket", "processing_state": "in_review"},
        {"caption": "evening picnic on a linen throw", "processing_state": "in_review"},
        {"caption": "ski boots on a snowy slope", "processing_state": "in_review"},
    )
    response = client.get(reverse("workspace:asset", args=[original.pk]))
    similar = [tile.pk for tile in response.context["similar"]]
    assert original.pk not in similar
    assert similar[0] == cousin.pk and unrelated.pk in similar


def test_bad_filter_is_a_problem_naming_it(client, coordinator):
    response = client.get(reverse("workspace:library"), {"platform": "myspace"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "platform"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "colour"}, "sort"),
        ({"cursor": "!!"}, "cursor"),
        ({"size": "x"}, "size"),
        ({"mode": "psychic"}, "mode"),
    ],
)
def test_bad_paging_is_a_problem_naming_it(client, coordinator, params, field):
    response = client.get(reverse("workspace:library"), params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_infinite_scroll_walks_every_asset_once(client, coordinator):
    ids = {in_review().pk for _ in range(7)}
    seen, params = [], {"size": 3}
    url = reverse("workspace:library")
    response = client.get(url, params)
    while True:
        page = response.context["page"]
        seen += [asset.pk for asset in page.assets]
        if not page.next_cursor:
            break
        response = client.get(url, {**params, "cursor": page.next_cursor}, HTTP_HX_REQUEST="true")
        assert "<aside" not in response.content.decode()  # a fragment, not the page
    assert sorted(seen) == sorted(ids)


def test_search_finds_by_caption_words(client, coordinator):
    from ugc.services.search_index import refresh_search_vectors

    hit = in_review(caption="red sneakers on the beach")
    miss = in_review(caption="a blue mug")
    refresh_search_vectors([hit.pk, miss.pk])
    body = client.get(reverse("workspace:library"), {"q": "sneakers"}).content.decode()
    assert f'id="tile-{hit.pk}"' in body
    assert f'id="tile-{miss.pk}"' not in body


def _library_queries(client, count: int) -> int:
    for _ in range(count):
        asset = in_review()
        RenditionFactory(asset=asset, width=320)
        RenditionFactory(asset=asset, width=640)
        ProductLineTagFactory(asset=asset)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("workspace:library"), {"size": 100})
    assert response.status_code == 200
    return len(queries)


def test_library_query_count_does_not_grow_with_the_page(client, coordinator):
    small = _library_queries(client, 10)
    large = _library_queries(client, 40)  # 50 assets on the page now
    assert small == large


def test_analyst_sees_the_library_without_actions(client, analyst):
    in_review()
    body = client.get(reverse("workspace:library")).content.decode()
    assert "Bulk actions" not in body
    assert 'id="grid"' in body


def test_asset_page_says_when_there_is_no_score_or_kpi(client, coordinator):
    asset = in_review(caption=XSS)
    body = client.get(reverse("workspace:asset", args=[asset.pk])).content.decode()
    assert 'data-empty="score"' in body and 'data-empty="kpis"' in body
    assert XSS not in body


def test_asset_page_shows_the_score_parts_and_kpis(client, coordinator):
    from datetime import timedelta

    from django.utils import timezone

    from ugc.models import AssetPerformance, AssetScore

    asset = in_review()
    now = timezone.now()
    AssetScore.objects.create(
        asset=asset,
        score=0.812,
        quality=0.9,
        relevance=0.0,
        performance=0.7,
        social=None,  # no engagement data: shown as such, weighing nothing
        freshness=0.6,
        impressions=200,
        clicks=18,
        revenue=123.4,
        ctr_alpha=2,
        ctr_beta=50,
        conversion_rate=0.1,
        model_version="v-test",
        computed_at=now,
    )
    for days_ago, clicks in ((2, 7), (1, 11)):
        AssetPerformance.objects.create(
            asset=asset,
            day=(now - timedelta(days=days_ago)).date(),
            source="rollup",
            gallery_impressions=100,
            clicks=clicks,
            revenue=61.7,
            updated_at=now,
        )
    response = client.get(reverse("workspace:asset", args=[asset.pk]))
    body = response.content.decode()
    assert "0.81" in body and "v-test" in body
    explanation = response.context["explanation"]
    lines = {line.name: line for line in explanation.parts}
    assert lines["social"].value is None and lines["social"].weight == 0
    assert "no data" in body and "No engagement data" in body
    assert sum(line.weight for line in explanation.parts) == pytest.approx(1)
    # Weight x distance from the middle: quality 0.28 x 0.4 beats performance 0.5 x 0.2;
    # no product tagged holds it back.
    assert [line.name for line in explanation.lifts] == ["quality", "performance"]
    assert [line.name for line in explanation.holds] == ["relevance"]
    assert "Why it ranks here" in body and "ranks <strong>1</strong> of 1" in body
    assert "123.40 USD attributed revenue" in body
    assert "61.70 USD" in body and "Revenue (USD)" in body
    assert [day["clicks"] for day in response.context["kpis"]] == [7, 11]
    assert 'id="kpi-chart"' in body and 'data-empty="score"' not in body


def test_a_search_says_best_match_shows_relevance_and_can_be_sorted(client, coordinator):
    tent_lake, tent = make_assets({"caption": "tent by the lake"}, {"caption": "tent in the woods"})
    url = reverse("workspace:library")
    body = client.get(url, {"q": "tent lake"}).content.decode()
    assert '<option value="relevance" selected>Best match</option>' in body
    assert body.index(f'id="tile-{tent_lake.pk}"') < body.index(f'id="tile-{tent.pk}"')
    assert "All words" in body and "50% of the words" in body
    newest = client.get(url, {"q": "tent lake", "sort": "-created_at"}).content.decode()
    assert newest.index(f'id="tile-{tent.pk}"') < newest.index(f'id="tile-{tent_lake.pk}"')
    # Without a search there is no "best match": the library's own order.
    browse = client.get(url, {"sort": "relevance"}).content.decode()
    assert "Best match" not in browse
    nonsense = client.get(url, {"q": "qxzvkpl wrrtmn", "mode": "semantic"}).content.decode()
    assert "No good match by meaning" in nonsense


def test_the_library_says_what_came_in_since_yesterday_and_lists_it(client, coordinator):
    from datetime import timedelta

    from django.utils import timezone

    from ugc.models import Asset

    old = AssetFactory()
    Asset.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    new = [AssetFactory(), AssetFactory()]
    page = client.get("/workspace/").content.decode()
    assert "2 new since yesterday" in page
    link = page.split('class="arrivals"><a href="')[1].split('"')[0].replace("&amp;", "&")
    listed = client.get(link).content.decode()
    assert all(f'id="tile-{asset.pk}"' in listed for asset in new)
    assert f'id="tile-{old.pk}"' not in listed
