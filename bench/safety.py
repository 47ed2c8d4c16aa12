"""The brand-safety screen's cost per image against the still pipeline's, same files.

Files: the 12 MP phone JPEGs of bench/media.py. Peer: the still pipeline on each
(bench.media.pipeline_once: decode, renditions, measures). Measured: what the
`safety` step adds to it: the detector (one single-threaded onnxruntime session, as
in a worker) on the smallest rendition of at least 320 px, already made. CPU seconds of
this process, best of interleaved rounds. The goal: the screen costs the pipeline
little, at most a quarter of its time.
"""

from __future__ import annotations

import importlib.util

from django.conf import settings

from bench.media import ROUNDS, corpus, open_phone_picture, pipeline_once, rendition_settings
from bench.registry import Result, benchmark, best_cpu_per_item
from ugc.media import safety
from ugc.services.pipeline import SAFETY_MIN_WIDTH


def _rendition(data: bytes, rs):
    picture = open_phone_picture(data, rs)
    return picture.at_width(min(w for w in rs.widths if w >= SAFETY_MIN_WIDTH))


def _per_image(detector, stills) -> float:
    detector.detect(stills[0])  # warm the session
    [best] = best_cpu_per_item(ROUNDS, stills, [detector.detect])
    return sum(best)


@benchmark
def media_brand_safety() -> Result:
    files = corpus()
    rs = rendition_settings()
    model = settings.BRAND_SAFETY_MODEL or "open_nsfw"
    detector = safety.detector(model)
    stills = [_rendition(data, rs) for data in files]
    pipeline_once(files[0], rs)
    detector.detect(stills[0])
    best_pipeline, best_detector = best_cpu_per_item(
        ROUNDS,
        list(zip(files, stills, strict=True)),
        [lambda file: pipeline_once(file[0], rs), lambda file: detector.detect(file[1])],
    )
    pipeline_s = sum(best_pipeline) / len(files)
    detector_s = sum(best_detector) / len(files)
    others = []
    for name in safety.MODELS:
        if name != model and importlib.util.find_spec(safety.MODELS[name].package):
            other_s = _per_image(safety.detector(name), stills) / len(stills)
            others.append(f"{name} {other_s * 1000:.1f} ms ({other_s / pipeline_s:.2f})")
    return Result(
        "media: brand-safety screen / pipeline",
        detector_s,
        pipeline_s,
        target_ratio=0.25,
        note=(
            f"{model} {detector_s * 1000:.1f} ms per image on the {stills[0].width} px "
            f"rendition, pipeline {pipeline_s * 1000:.1f} ms per 12 MP JPEG"
            + (f"; other models: {', '.join(others)}" if others else "")
        ),
    )
