"""Changing the embedding model: search stays on the old vectors until the new
model covers the library, then switches; old vectors can then be pruned."""

import shutil

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from ugc.models import Asset, AssetEmbedding
from ugc.selectors.search import SearchRequest, search
from ugc.services import embedders
from ugc.services.search_index import embed_assets

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_switches_models_only_once_the_new_one_covers_the_library(
    tmp_path, settings, monkeypatch
):
    monkeypatch.setattr(embedders, "COVERAGE_CACHE_SECONDS", 0)
    settings.EMBEDDING_BACKEND = "static"  # a model read from a path, copied under a new name
    original = str(django_settings.EMBEDDING_MODEL_PATH)
    assets = [
        Asset.objects.create(media_type="image", source_platform="instagram", caption=caption)
        for caption in ("a red dress on the beach", "a steel kitchen knife", "trail shoes")
    ]
    embed_assets([asset.pk for asset in assets])
    old_name = embedders.default_embedder().name

    # The "new" model: the same weights under another name, as a retrained model would be.
    new_path = tmp_path / "minilm-next"
    shutil.copytree(original, new_path)
    settings.EMBEDDING_MODEL_PATH = new_path
    settings.EMBEDDING_PREVIOUS_MODEL_PATH = original
    new_name = embedders.default_embedder().name
    assert new_name != old_name

    assert embedders.search_embedder().name == old_name  # nothing under the new model yet
    hits = search(Asset.objects.all(), SearchRequest(semantic="dress at the seaside"))
    assert hits[0].asset_id == assets[0].pk

    embed_assets([assets[0].pk])  # a third of the library: not enough to switch
    assert embedders.search_embedder().name == old_name

    call_command("reembed", "--here")
    assert embedders.search_embedder().name == new_name
    hits = search(Asset.objects.all(), SearchRequest(semantic="dress at the seaside"))
    assert hits[0].asset_id == assets[0].pk

    call_command("reembed", "--prune")
    assert set(AssetEmbedding.objects.values_list("model", flat=True)) == {new_name}
