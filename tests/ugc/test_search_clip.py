"""The optional `clip` backend: open_clip's real loading and encoding code, on a tiny
architecture with randomly initialised weights saved here (nothing is downloaded).
What is checked is that pictures and words become vectors that are stored, indexed and
searched, and that the library moves to the model through the embedding task, not the
quality of the vectors (random weights have none)."""

import io
import json

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import connection
from PIL import Image

torch = pytest.importorskip(
    "torch", reason="the clip backend needs the optional extra `clip` (torch, open_clip)"
)
open_clip = pytest.importorskip(
    "open_clip", reason="the clip backend needs the optional extra `clip` (torch, open_clip)"
)

from tests.support.worker import wait_until  # noqa: E402
from ugc.models import Asset, AssetEmbedding, Rendition  # noqa: E402
from ugc.search import embedding  # noqa: E402
from ugc.search.indexes import hnsw_index_name  # noqa: E402
from ugc.selectors.search import SearchRequest, search  # noqa: E402
from ugc.services import embedders  # noqa: E402
from ugc.services.search_index import embed_assets  # noqa: E402

STATIC_MODEL = str(django_settings.EMBEDDING_MODEL_PATH)  # the default backend's model
# A CLIP small enough to build in a blink: two-layer towers, 32-dimensional space.
TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def random_tiny_clip(tmp_path, seed=0):
    """A randomly initialised tiny CLIP saved as a config file plus a checkpoint file;
    returns (config path, checkpoint path, the model in memory)."""
    config = tmp_path / "tiny-clip.json"
    config.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(config)
    torch.manual_seed(seed)
    model = open_clip.create_model("tiny-clip").eval()
    checkpoint = tmp_path / f"random-{seed}.pt"
    torch.save(model.state_dict(), checkpoint)
    return config, checkpoint, model


@pytest.fixture
def clip_settings(tmp_path, settings):
    """Point the embedding settings at a random tiny CLIP; media in a temporary folder."""
    config, checkpoint, model = random_tiny_clip(tmp_path)
    settings.EMBEDDING_BACKEND = "clip"
    settings.EMBEDDING_CLIP_MODEL = str(config)
    settings.EMBEDDING_MODEL_PATH = checkpoint
    settings.MEDIA_ROOT = tmp_path / "media"
    embedding.text_embedder.cache_clear()
    yield model
    embedding.text_embedder.cache_clear()


def unit(v):
    v = v.detach().float().numpy()
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def picture(colour, size=(300, 200)) -> Image.Image:
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 20):  # some structure, so pictures differ beyond colour
        image.paste((255 - colour[0], colour[1], 255 - colour[2]), (x, 0, x + 5, size[1]))
    return image


def with_rendition(asset: Asset, image: Image.Image, width: int = 320) -> Rendition:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP")
    rendition = Rendition(
        asset=asset,
        kind="image",
        format="webp",
        width=width,
        height=image.height,
        byte_size=len(buffer.getvalue()),
    )
    rendition.file.save(f"renditions/{asset.pk}/image-{width}.webp", ContentFile(buffer.getvalue()))
    return rendition


def test_weights_load_from_a_checkpoint_file_and_both_towers_embed(clip_settings):
    model = clip_settings
    embedder = embedders.default_embedder()
    assert embedder.name == "clip:tiny-clip:random-0:32"
    assert embedder.dimensions == 32 and embedding.sees_images(embedder)

    texts = embedder.embed_texts(["a red dress on a beach", "", "steel kitchen knives"])
    assert texts.shape == (3, 32) and texts.dtype == np.float32
    assert np.allclose(np.linalg.norm(texts[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert not texts[1].any()  # no words, no vector
    # The saved weights were loaded, not a fresh random draw of the same architecture.
    tokens = open_clip.get_tokenizer("tiny-clip")(["a red dress on a beach"])
    with torch.inference_mode():
        assert np.allclose(texts[0], unit(model.encode_text(tokens))[0], atol=1e-5)

    images = embedder.embed_images([picture((200, 30, 30)), picture((30, 30, 200), (64, 500))])
    assert images.shape == (2, 32)
    assert np.allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(images[0], images[1])


def test_a_saved_model_directory_loads_as_open_clip_writes_it(tmp_path, settings):
    from safetensors.torch import save_file

    torch.manual_seed(1)
    open_clip.add_model_config(_write(tmp_path / "tiny-clip.json", TINY_CLIP))
    model = open_clip.create_model("tiny-clip").eval()
    saved = tmp_path / "tiny-clip-saved"
    saved.mkdir()
    _write(saved / "open_clip_config.json", {"model_cfg": TINY_CLIP})
    save_file(model.state_dict(), saved / "open_clip_model.safetensors")

    embedder = embedding.ClipEmbedder("ignored-when-a-directory-is-given", str(saved))
    assert embedder.name == "clip:tiny-clip-saved:32"
    tokens = open_clip.get_tokenizer("tiny-clip")(["sneakers"])
    with torch.inference_mode():
        expected = unit(model.encode_text(tokens))[0]
    assert np.allclose(embedder.embed_texts(["sneakers"])[0], expected, atol=1e-5)


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


@pytest.mark.django_db(transaction=True)
def test_pictures_are_embedded_stored_indexed_and_searched(clip_settings):
    embedder = embedders.default_embedder()
    red, blue = picture((220, 20, 20)), picture((20, 20, 220))
    no_caption = Asset.objects.create(media_type="image", source_platform="instagram")
    with_rendition(no_caption, red)
    with_rendition(no_caption, red.resize((160, 106)), width=160)  # too small to be chosen
    both = Asset.objects.create(
        media_type="image", source_platform="tiktok", caption="blue sneakers in the city"
    )
    with_rendition(both, blue)
    words_only = Asset.objects.create(
        media_type="video", source_platform="instagram", caption="unboxing a ceramic mug"
    )
    nothing = Asset.objects.create(media_type="image", source_platform="instagram")

    counts = embed_assets([a.pk for a in (no_caption, both, words_only, nothing)])
    assert counts == {"embedded": 3, "unchanged": 0, "empty": 1}

    stored = dict(
        AssetEmbedding.objects.filter(model=embedder.name).values_list("asset_id", "vector")
    )
    assert set(stored) == {no_caption.pk, both.pk, words_only.pk}
    # A picture without words is found by its picture alone (the 320 px rendition)...
    reread = Image.open(Rendition.objects.get(asset=no_caption, width=320).file)
    assert np.allclose(stored[no_caption.pk], embedder.embed_images([reread])[0], atol=1e-4)
    # ...words and picture together by the mean of both, and words alone by the words.
    image_vector = embedder.embed_images([Image.open(both.renditions.get().file)])[0]
    text_vector = embedder.embed_texts([both.caption])[0]
    mixed = (image_vector + text_vector) / np.linalg.norm(image_vector + text_vector)
    assert np.allclose(stored[both.pk], mixed, atol=1e-4)
    assert np.allclose(stored[words_only.pk], embedder.embed_texts([words_only.caption])[0], 1e-4)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [hnsw_index_name(embedder.name)]
        )
        (definition,) = cursor.fetchone()
    assert "hnsw" in definition and "vector(32)" in definition

    # Words find every embedded asset, the captionless picture included.
    hits = search(Asset.objects.all(), SearchRequest(semantic="a red top", limit=10))
    assert {hit.asset_id for hit in hits} == set(stored)
    assert all("semantic" in hit.matched for hit in hits)
    # Its own picture's vector finds the captionless asset first.
    from ugc.selectors.search import vector_hits

    nearest = vector_hits(Asset.objects.all(), embedder.embed_images([red])[0], embedder, 1)
    assert nearest[0][0] == no_caption.pk
    # More like this works on picture vectors and leaves the asset itself out.
    similar = search(Asset.objects.all(), SearchRequest(like=no_caption.pk, limit=10))
    assert {hit.asset_id for hit in similar} == {both.pk, words_only.pk}

    # Nothing changed, nothing embedded; a new rendition is a new source.
    assert embed_assets([no_caption.pk, both.pk])["unchanged"] == 2
    Rendition.objects.filter(asset=both).delete()
    with_rendition(both, picture((20, 200, 20)), width=640)
    assert embed_assets([both.pk])["embedded"] == 1


@pytest.mark.django_db(transaction=True)
def test_an_unreadable_picture_falls_back_to_the_words(clip_settings):
    embedder = embedders.default_embedder()
    asset = Asset.objects.create(
        media_type="image", source_platform="instagram", caption="linen dress"
    )
    rendition = with_rendition(asset, picture((10, 120, 10)))
    rendition.file.storage.save(rendition.file.name + ".tmp", ContentFile(b"not an image"))
    Rendition.objects.filter(pk=rendition.pk).update(file=rendition.file.name + ".tmp")

    assert embed_assets([asset.pk])["embedded"] == 1
    vector = AssetEmbedding.objects.get(asset=asset, model=embedder.name).vector
    assert np.allclose(vector, embedder.embed_texts(["linen dress"])[0], atol=1e-4)


@pytest.mark.worker
def test_the_library_moves_from_static_to_clip_through_the_embedding_task(
    clip_settings, start_worker, app_on_broker, tmp_path, settings, monkeypatch
):
    """Re-embedding with a change of backend: search stays on the static vectors until
    the worker's clip vectors cover the library, then uses them."""
    from django.core.management import call_command

    monkeypatch.setattr(embedders, "COVERAGE_CACHE_SECONDS", 0)
    assets = [
        Asset.objects.create(media_type="image", source_platform="instagram", caption=caption)
        for caption in ("a red dress on the beach", "a steel kitchen knife")
    ]
    no_caption = Asset.objects.create(media_type="image", source_platform="tiktok")
    with_rendition(no_caption, picture((200, 200, 20)))
    static = embedding.text_embedder("static", STATIC_MODEL)
    embed_assets([a.pk for a in assets], embedder=static)

    settings.EMBEDDING_PREVIOUS_BACKEND = "static"
    settings.EMBEDDING_PREVIOUS_MODEL_PATH = STATIC_MODEL
    clip = embedders.default_embedder()
    assert embedders.search_embedder().name == static.name  # no clip vectors yet
    hits = search(Asset.objects.all(), SearchRequest(semantic="dress at the seaside"))
    assert hits[0].asset_id == assets[0].pk and len(hits) == 2  # the picture has no words

    start_worker(
        EMBEDDING_BACKEND="clip",
        EMBEDDING_CLIP_MODEL=str(settings.EMBEDDING_CLIP_MODEL),
        EMBEDDING_MODEL_PATH=str(settings.EMBEDDING_MODEL_PATH),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    call_command("reembed")  # queues the library in embedding tasks
    wait_until(
        lambda: AssetEmbedding.objects.filter(model=clip.name).count() == 3,
        timeout=120,
        what="the worker's clip vectors",
    )
    assert embedders.search_embedder().name == clip.name
    hits = search(Asset.objects.all(), SearchRequest(semantic="dress at the seaside"))
    assert {hit.asset_id for hit in hits} == {*(a.pk for a in assets), no_caption.pk}
    worker_vector = AssetEmbedding.objects.get(asset=no_caption, model=clip.name).vector
    stored_picture = Image.open(no_caption.renditions.get().file)
    assert np.allclose(worker_vector, clip.embed_images([stored_picture])[0], atol=1e-4)
