"""Text embeddings for semantic search and suggestions.

The backend is a setting (EMBEDDING_BACKEND); each vector is stored with the
name of the model that made it, so a change of model can re-embed the library
while search keeps using the old vectors until the new ones are in.

- `static` (default, always installed, offline): a model2vec model distilled
  from all-MiniLM-L6-v2 (ugc/search/distill.py), loaded from
  EMBEDDING_MODEL_PATH.
- `clip` (optional extra `clip`: open_clip and torch): images and text in one
  space, so a picture without a caption is found by words. The architecture is
  EMBEDDING_CLIP_MODEL; the weights are EMBEDDING_MODEL_PATH, a local
  checkpoint file, or else the name of open_clip's pretrained weights, fetched
  from the model hub when the machine has internet.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)


class TextEmbedder(Protocol):
    name: str  # stored beside every vector
    dimensions: int

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32 rows of unit length (zeros for empty text)."""


class StaticTextEmbedder:
    """A model2vec static model: the mean of the text's token vectors."""

    def __init__(self, path: Path):
        from model2vec import StaticModel

        if not (Path(path) / "model.safetensors").exists():
            raise FileNotFoundError(
                f"no text-embedding model at {path}; run `manage.py distill_text_model` "
                "or set EMBEDDING_MODEL_PATH"
            )
        self.model = StaticModel.from_pretrained(str(path), normalize=True)
        self.dimensions = int(self.model.dim)
        self.name = f"static:{Path(path).name}:{self.dimensions}"

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        # One process: workers already run in parallel, and forking here would
        # multiply memory for no gain on short captions.
        vectors = self.model.encode(list(texts), use_multiprocessing=False)
        return np.asarray(vectors, dtype=np.float32)


CLIP_INSTALL_HINT = (
    "EMBEDDING_BACKEND=clip needs the optional extra `clip` (open_clip and torch, several "
    "GB, kept out of the default install): see the README's search section"
)


class ClipEmbedder:
    """An open_clip model: a text tower and an image tower into one space.

    `weights` is a saved model's directory (open_clip_config.json and its weights,
    the layout of open_clip's hub repositories), a checkpoint file for
    `architecture`, or else the tag of open_clip's pretrained weights for it, which
    open_clip fetches from the model hub (needs internet). `architecture` is a
    built-in name (ViT-B-32) or the path of a model config JSON file.
    """

    def __init__(self, architecture: str, weights: str):
        try:
            import open_clip
            import torch
        except ImportError as exc:
            raise ImportError(CLIP_INSTALL_HINT) from exc

        if Path(weights).is_dir():
            model_name, pretrained, label = f"local-dir:{weights}", None, Path(weights).name
        else:
            if architecture.endswith(".json"):
                open_clip.add_model_config(architecture)
                architecture = Path(architecture).stem
            model_name, pretrained = architecture, weights
            label = f"{architecture}:{Path(weights).stem if Path(weights).is_file() else weights}"
        model, _, preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=pretrained, device="cpu"
        )
        self._torch = torch
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(model_name)
        self.dimensions = int(open_clip.get_model_config(model_name)["embed_dim"])
        self.name = f"clip:{label}:{self.dimensions}"[:100]

    def _unit_rows(self, features) -> np.ndarray:
        vectors = features.float().numpy().astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        present = [i for i, text in enumerate(texts) if text.strip()]
        if present:
            with self._torch.inference_mode():
                tokens = self.tokenizer([texts[i] for i in present])
                vectors[present] = self._unit_rows(self.model.encode_text(tokens))
        return vectors

    def embed_images(self, images: Sequence) -> np.ndarray:
        """(len(images), dimensions) unit rows for PIL images."""
        if not images:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._torch.inference_mode():
            batch = self._torch.stack([self.preprocess(image.convert("RGB")) for image in images])
            return self._unit_rows(self.model.encode_image(batch))


@functools.cache
def text_embedder(backend: str, model_path: str, clip_model: str = "") -> TextEmbedder:
    """The embedder for a backend, loaded once per process."""
    if backend == "static":
        return StaticTextEmbedder(Path(model_path))
    if backend == "clip":
        return ClipEmbedder(clip_model, model_path)
    raise ValueError(f"unknown EMBEDDING_BACKEND {backend!r}; expected 'static' or 'clip'")


def default_embedder() -> TextEmbedder:
    """The model new vectors are made with."""
    from django.conf import settings

    return text_embedder(
        settings.EMBEDDING_BACKEND, str(settings.EMBEDDING_MODEL_PATH), _clip_model()
    )


def previous_embedder() -> TextEmbedder | None:
    """The model being replaced, while the library is re-embedded (None otherwise)."""
    from django.conf import settings

    path = getattr(settings, "EMBEDDING_PREVIOUS_MODEL_PATH", None)
    if not path:
        return None
    backend = getattr(settings, "EMBEDDING_PREVIOUS_BACKEND", None) or settings.EMBEDDING_BACKEND
    clip_model = getattr(settings, "EMBEDDING_PREVIOUS_CLIP_MODEL", None) or _clip_model()
    return text_embedder(backend, str(path), clip_model)


def _clip_model() -> str:
    from django.conf import settings

    return settings.EMBEDDING_CLIP_MODEL


IMAGE_BACKENDS = frozenset({"clip"})  # backends whose embedders have embed_images


def sees_images(embedder: TextEmbedder) -> bool:
    return callable(getattr(embedder, "embed_images", None))


def backend_sees_images() -> bool:
    """Whether the configured backend embeds pictures (told without loading it)."""
    from django.conf import settings

    return settings.EMBEDDING_BACKEND in IMAGE_BACKENDS


@dataclass(frozen=True)
class Source:
    """What one vector is made from: words, and a picture for backends that see images
    (the storage name of an image rendition)."""

    text: str
    picture: str = ""

    def digest(self) -> str:
        """Stored beside the vector: the same source is not embedded twice."""
        key = self.text if not self.picture else f"{self.text}\0picture:{self.picture}"
        return hashlib.sha256(key.encode()).hexdigest()

    def is_empty(self) -> bool:
        return not self.text.strip() and not self.picture


def embed_sources(embedder: TextEmbedder, sources: Sequence[Source]) -> np.ndarray:
    """Unit vectors for sources. A backend that sees images embeds the picture, and
    with words too, the normalised mean of both (either one finds the asset); a
    picture that cannot be read falls back to the words."""
    vectors = embedder.embed_texts([source.text for source in sources])
    if not sees_images(embedder):
        return vectors
    pictured = [(i, _open_picture(s.picture)) for i, s in enumerate(sources) if s.picture]
    pictured = [(i, image) for i, image in pictured if image is not None]
    if pictured:
        images = embedder.embed_images([image for _, image in pictured])
        for (i, _), image_vector in zip(pictured, images, strict=True):
            mixed = vectors[i] + image_vector
            vectors[i] = mixed / max(float(np.linalg.norm(mixed)), 1e-12)
    return vectors


def _open_picture(name: str):
    from PIL import Image, UnidentifiedImageError

    from ugc.models import Rendition

    storage = Rendition._meta.get_field("file").storage
    try:
        with storage.open(name, "rb") as f:
            image = Image.open(f)
            image.load()
        return image
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        logger.warning("picture %s not embedded: %s", name, exc)
        return None


COVERAGE_CACHE_SECONDS = 60
_coverage: dict[str, tuple[float, bool]] = {}


def covers_previous(current: TextEmbedder, previous: TextEmbedder) -> bool:
    """Whether the new model has vectors for (nearly) everything the old one has.

    Counted at most once a minute per process: a switch a minute late is fine.
    """
    import time

    from ugc.models import AssetEmbedding

    cached = _coverage.get(current.name)
    if cached and time.monotonic() - cached[0] < COVERAGE_CACHE_SECONDS:
        return cached[1]
    have = AssetEmbedding.objects.filter(model=current.name).count()
    had = AssetEmbedding.objects.filter(model=previous.name).count()
    ready = have >= 0.99 * had
    _coverage[current.name] = (time.monotonic(), ready)
    return ready


def search_embedder() -> TextEmbedder:
    """The model searches use: the new one once it covers the library, the old one
    until then, so re-embedding never leaves search with half a library."""
    current, previous = default_embedder(), previous_embedder()
    if previous is None or previous.name == current.name:
        return current
    return current if covers_previous(current, previous) else previous


def asset_text(
    *,
    caption: str = "",
    hashtags: Iterable[str] = (),
    alt_text: str = "",
    product_names: Iterable[str] = (),
) -> str:
    """What an asset is embedded from: its words, its hashtags split into words,
    its alt text and the names of the products tagged on it."""
    parts = [
        caption or "",
        " ".join(tag.replace("_", " ") for tag in hashtags),
        alt_text or "",
        ". ".join(product_names),
    ]
    return "\n".join(part for part in parts if part.strip())
