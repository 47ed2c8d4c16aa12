"""Text embeddings for semantic search and suggestions.

The backend is a setting (EMBEDDING_BACKEND); each vector is stored with the
name of the model that made it, so a change of model can re-embed the library
while search keeps using the old vectors until the new ones are in.

- `static` (default, always installed, offline): a model2vec model distilled
  from all-MiniLM-L6-v2 (ugc/search/distill.py), loaded from
  EMBEDDING_MODEL_PATH.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


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


@functools.cache
def text_embedder(backend: str, model_path: str) -> TextEmbedder:
    """The embedder for a backend, loaded once per process."""
    if backend == "static":
        return StaticTextEmbedder(Path(model_path))
    raise ValueError(f"unknown EMBEDDING_BACKEND {backend!r}; expected 'static'")


def default_embedder() -> TextEmbedder:
    """The model new vectors are made with."""
    from django.conf import settings

    return text_embedder(settings.EMBEDDING_BACKEND, str(settings.EMBEDDING_MODEL_PATH))


def previous_embedder() -> TextEmbedder | None:
    """The model being replaced, while the library is re-embedded (None otherwise)."""
    from django.conf import settings

    path = getattr(settings, "EMBEDDING_PREVIOUS_MODEL_PATH", None)
    if not path:
        return None
    backend = getattr(settings, "EMBEDDING_PREVIOUS_BACKEND", None) or settings.EMBEDDING_BACKEND
    return text_embedder(backend, str(path))


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
