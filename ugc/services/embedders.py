"""The embedders the settings pick, and what they need from the database.

ugc/search holds the models themselves and knows nothing of Django; this
module reads EMBEDDING_* settings, opens renditions from storage, and tells
search which model's vectors cover the library.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from ugc.models import AssetEmbedding, Rendition
from ugc.search.embedding import IMAGE_BACKENDS, TextEmbedder, text_embedder

logger = logging.getLogger(__name__)


def default_embedder() -> TextEmbedder:
    """The model new vectors are made with."""
    return text_embedder(
        settings.EMBEDDING_BACKEND, str(settings.EMBEDDING_MODEL_PATH), _clip_model()
    )


def previous_embedder() -> TextEmbedder | None:
    """The model being replaced, while the library is re-embedded (None otherwise)."""
    path = getattr(settings, "EMBEDDING_PREVIOUS_MODEL_PATH", None)
    if not path:
        return None
    backend = getattr(settings, "EMBEDDING_PREVIOUS_BACKEND", None) or settings.EMBEDDING_BACKEND
    clip_model = getattr(settings, "EMBEDDING_PREVIOUS_CLIP_MODEL", None) or _clip_model()
    return text_embedder(backend, str(path), clip_model)


def _clip_model() -> str:
    return settings.EMBEDDING_CLIP_MODEL


def backend_sees_images() -> bool:
    """Whether the configured backend embeds pictures (told without loading it)."""
    return settings.EMBEDDING_BACKEND in IMAGE_BACKENDS


def open_picture(name: str):
    """A rendition's picture for an embedder that sees images; None if unreadable."""
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
