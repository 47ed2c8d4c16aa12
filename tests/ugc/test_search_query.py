"""Search: full text with weights and languages, semantic, filtered recall,
more like this, and the hybrid's explanation."""

import json

import numpy as np
import pytest
from django.db import connection, transaction

from ugc.models import Asset, AssetEmbedding, Creator
from ugc.search.indexes import ensure_model_indexes, hnsw_index_name
from ugc.selectors.search import SearchRequest, exact_scan, search, vector_hits
from ugc.services.embedders import default_embedder
from ugc.services.search_index import embed_assets, refresh_search_vectors

pytestmark = pytest.mark.django_db


def make_assets(*captions_and_fields):
    assets = [
        Asset.objects.create(**{"media_type": "image", "source_platform": "instagram", **fields})
        for fields in captions_and_fields
    ]
    ids = [asset.pk for asset in assets]
    refresh_search_vectors(ids)
    embed_assets(ids)
    return assets


def ids(hits):
    return [hit.asset_id for hit in hits]


def test_hashtags_outrank_the_caption_for_the_same_word():
    in_caption, in_hashtag = make_assets(
        {"caption": "my linen shirt for the summer"},
        {"caption": "new in", "hashtags": ["linen"]},
    )
    hits = search(Asset.objects.all(), SearchRequest(text="linen"))
    assert ids(hits) == [in_hashtag.pk, in_caption.pk]
    assert hits[0].matched["text"]["rank"] == 1


def test_stemming_follows_the_asset_language_and_exact_words_match_any():
    french, english = make_assets(
        {"caption": "Mes robes préférées pour la plage", "language": "fr"},
        {"caption": "Running shoes for trails", "language": "en"},
    )
    assert ids(search(Asset.objects.all(), SearchRequest(text="robe", language="fr"))) == [
        french.pk
    ]
    # "run" is stemmed from "Running" in English.
    assert ids(search(Asset.objects.all(), SearchRequest(text="run"))) == [english.pk]
    # A French word typed in an English query still finds the exact word.
    assert ids(search(Asset.objects.all(), SearchRequest(text="plage"))) == [french.pk]


def test_creator_handle_free_tags_and_web_search_syntax():
    creator = Creator.objects.create(platform="instagram", handle="sunny.days")
    tagged, other = make_assets(
        {"caption": "weekend", "creator": creator, "tags": ["campaign_spring"]},
        {"caption": "weekend at the lake"},
    )
    assert ids(search(Asset.objects.all(), SearchRequest(text="sunny.days"))) == [tagged.pk]
    assert ids(search(Asset.objects.all(), SearchRequest(text="campaign spring"))) == [tagged.pk]
    assert ids(search(Asset.objects.all(), SearchRequest(text="weekend -lake"))) == [tagged.pk]
    assert set(ids(search(Asset.objects.all(), SearchRequest(text="weekend")))) == {
        tagged.pk,
        other.pk,
    }


def test_semantic_search_finds_meaning_without_shared_words():
    dress, _knives, _shoes = make_assets(
        {"caption": "a crimson summer gown by the sea"},
        {"caption": "stainless steel chef knives in the kitchen"},
        {"caption": "trail running sneakers in the mud"},
    )
    hits = search(Asset.objects.all(), SearchRequest(semantic="red dress on a beach", limit=3))
    assert ids(hits)[0] == dress.pk
    assert "semantic" in hits[0].matched and "text" not in hits[0].matched


def test_filters_apply_to_every_part():
    instagram, tiktok = make_assets(
        {"caption": "red dress at the beach"},
        {"caption": "red dress at the beach too", "source_platform": "tiktok"},
    )
    only_tiktok = Asset.objects.filter(source_platform="tiktok")
    request = SearchRequest(text="dress", semantic="red dress")
    assert ids(search(only_tiktok, request)) == [tiktok.pk]
    assert set(ids(search(Asset.objects.all(), request))) == {instagram.pk, tiktok.pk}


def test_hybrid_fuses_both_lists_and_says_what_matched():
    exact_word, meaning_only, _neither = make_assets(
        {"caption": "a red summer dress for the seaside"},
        {"caption": "a crimson gown by the sea"},
        {"caption": "cast iron frying pan"},
    )
    hits = search(Asset.objects.all(), SearchRequest(text="dress", semantic="red dress by the sea"))
    by_id = {hit.asset_id: hit for hit in hits}
    assert set(by_id[exact_word.pk].matched) == {"text", "semantic"}
    assert set(by_id[meaning_only.pk].matched) == {"semantic"}
    assert hits[0].asset_id == exact_word.pk  # found by both parts, so it leads
    assert hits == sorted(hits, key=lambda hit: -hit.score)


def test_more_like_this_leaves_out_the_asset_and_its_near_duplicates():
    original, repost, cousin, unrelated = make_assets(
        {"caption": "sunset picnic with a linen blanket"},
        {"caption": "sunset picnic with a linen blanket (repost)"},
        {"caption": "evening picnic on a linen throw"},
        {"caption": "ski boots on a snowy slope"},
    )
    repost.duplicate_of = original
    repost.save()
    hits = search(Asset.objects.all(), SearchRequest(like=original.pk))
    found = ids(hits)
    assert original.pk not in found and repost.pk not in found
    assert found[0] == cousin.pk and unrelated.pk in found


@pytest.fixture
def static_model(settings):
    """The tests of plans, paging and recall hold for any model's vectors (random ones
    here): the static model's 256 dimensions make them cheaper to store and index."""
    settings.EMBEDDING_BACKEND = "static"


def store_vectors(assets, vectors, embedder) -> None:
    """The assets' vectors, then the model's index built over them: building it once is
    much faster than growing it row by row. Pending foreign-key checks are run first, as
    an index cannot be made in a transaction with trigger events still pending."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {hnsw_index_name(embedder.name)}")
    AssetEmbedding.objects.bulk_create(
        [
            AssetEmbedding(asset=asset, model=embedder.name, vector=vector, source_hash="x")
            for asset, vector in zip(assets, vectors, strict=True)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    ensure_model_indexes(connection, embedder.name, embedder.dimensions)


def one_percent_library(rng, n=3000):
    """n assets with random unit vectors; every hundredth one is on TikTok."""
    embedder = default_embedder()
    assets = Asset.objects.bulk_create(
        [
            Asset(media_type="image", source_platform="tiktok" if i % 100 == 0 else "instagram")
            for i in range(n)
        ]
    )
    vectors = rng.normal(size=(len(assets), embedder.dimensions)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store_vectors(assets, vectors, embedder)
    return assets, vectors


def test_a_selective_filter_still_fills_the_page(static_model):
    """1% of 3,000 assets pass the filter: the page is full and exactly right."""
    embedder = default_embedder()
    rng = np.random.default_rng(7)
    assets, vectors = one_percent_library(rng)
    query = rng.normal(size=embedder.dimensions).astype(np.float32)

    hits = vector_hits(Asset.objects.filter(source_platform="tiktok"), query, embedder, 24)

    chosen = [i for i, asset in enumerate(assets) if asset.source_platform == "tiktok"]
    distances = 1 - vectors[chosen] @ (query / np.linalg.norm(query))
    exact = [assets[chosen[i]].pk for i in np.argsort(distances)[:24]]
    assert len(hits) == 24
    assert [asset_id for asset_id, _ in hits] == exact
    assert np.allclose([d for _, d in hits], np.sort(distances)[:24], atol=1e-5)


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


@pytest.mark.django_db(transaction=True)
def test_the_exact_scan_reads_only_the_filtered_assets_vectors(static_model):
    """The 1% path probes the embeddings of the filtered assets by id: no scan of the
    embedding table, one vector read per filtered asset, no more."""
    embedder = default_embedder()
    rng = np.random.default_rng(3)
    one_percent_library(rng)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ugc_assetembedding")  # what autovacuum keeps up
        cursor.execute("VACUUM ANALYZE ugc_asset")
    query = rng.normal(size=embedder.dimensions).astype(np.float32)
    sql, params = exact_scan(Asset.objects.filter(source_platform="tiktok"), query, embedder, 24)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes = list(plan_nodes(plan[0]["Plan"]))
    on_embeddings = [n for n in nodes if n.get("Relation Name") == "ugc_assetembedding"]
    assert len(on_embeddings) == 1, nodes
    probe = on_embeddings[0]
    assert probe["Node Type"] in ("Index Scan", "Index Only Scan"), probe
    assert "asset_id" in probe["Index Cond"]
    assert probe["Actual Rows"] * probe["Actual Loops"] == 30  # the filtered assets, no more


def test_an_unfiltered_semantic_query_uses_the_index_and_keeps_recall(static_model):
    embedder = default_embedder()
    rng = np.random.default_rng(11)
    assets = Asset.objects.bulk_create(
        [Asset(media_type="image", source_platform="instagram") for _ in range(2000)]
    )
    # Clustered, as real embeddings are (topics), not uniform noise.
    centres = rng.normal(size=(40, embedder.dimensions))
    vectors = (
        centres[rng.integers(0, 40, len(assets))]
        + 0.6 * rng.normal(size=(len(assets), embedder.dimensions))
    ).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store_vectors(assets, vectors, embedder)
    query = vectors[0] + 0.1 * rng.normal(size=embedder.dimensions).astype(np.float32)
    hits = vector_hits(Asset.objects.all(), query, embedder, 24)
    exact = {assets[i].pk for i in np.argsort(1 - vectors @ (query / np.linalg.norm(query)))[:24]}
    found = {asset_id for asset_id, _ in hits}
    assert len(hits) == 24 and hits[0][0] == assets[0].pk
    assert len(found & exact) / 24 >= 0.9


def test_nonsense_by_meaning_finds_nothing_and_rejected_assets_stay_out():
    boots, rejected = make_assets(
        {"caption": "hiking boots in the snow"},
        {"caption": "hiking boots in deep snow", "moderation_state": "rejected"},
    )
    assert search(Asset.objects.all(), SearchRequest(semantic="qxzvkpl wrrtmn fjdskq")) == []
    hits = search(Asset.objects.all(), SearchRequest(semantic="boots in snow"))
    assert ids(hits) == [boots.pk] and 0.35 < hits[0].relevance <= 1
    asked = SearchRequest(text="boots", include_rejected=True)
    assert set(ids(search(Asset.objects.all(), asked))) == {boots.pk, rejected.pk}


def test_words_rank_partial_matches_by_how_many_words_they_have():
    both, one, _none = make_assets(
        {"caption": "tent by the lake"}, {"caption": "a tent in the woods"}, {"caption": "kayak"}
    )
    hits = search(Asset.objects.all(), SearchRequest(text="tent lake"))
    assert ids(hits) == [both.pk, one.pk]
    assert [hit.relevance for hit in hits] == [1.0, 0.5]


def test_an_empty_request_finds_nothing():
    make_assets({"caption": "anything"})
    assert search(Asset.objects.all(), SearchRequest()) == []
