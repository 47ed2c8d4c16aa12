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
    from django.conf import settings

    return text_embedder(settings.EMBEDDING_BACKEND, str(settings.EMBEDDING_MODEL_PATH))


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
