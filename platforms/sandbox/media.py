"""The emulator's media files: photo-like JPEGs (about one megapixel unless the
sandbox says otherwise), the same bytes for the same name, seed and size."""

from __future__ import annotations

import hashlib
import io
import random
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = (1152, 864)  # about 1.0 MP, 4:3 like a phone photo


@lru_cache(maxsize=64)
def jpeg(name: str, seed: int, size: tuple[int, int] = SIZE) -> bytes:
    """A photo-like JPEG (a soft gradient and a few shapes) drawn from `name` and `seed`."""
    width, height = size
    scale = min(width / SIZE[0], height / SIZE[1])
    rng = random.Random(  # noqa: S311 (test pictures, not secrets)
        hashlib.sha256(f"{seed}:{name}".encode()).digest()
    )
    small = Image.new("RGB", (4, 3))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(12)])
    image = small.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(3, 8)):
        x, y = rng.randrange(width), rng.randrange(height)
        r = max(1, round(rng.randrange(40, 260) * scale))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(max(1, round(3 * scale))))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def picture(name: str, seed: int, size: tuple[int, int], folder: str | None = None) -> bytes:
    """The picture of `name`: read from `folder` when drawn there ahead, else drawn now."""
    if folder:
        path = Path(folder) / f"{name}.jpg"
        if path.is_file():
            return path.read_bytes()
    return jpeg(name, seed, size)


def draw_all(names: list[str], seed: int, folder: Path, size: tuple[int, int] = SIZE) -> None:
    """Draw the pictures of `names` into `folder` (those not there yet), on every core."""
    from concurrent.futures import ProcessPoolExecutor

    folder.mkdir(parents=True, exist_ok=True)
    missing = [n for n in names if not (folder / f"{n}.jpg").is_file()]
    with ProcessPoolExecutor() as pool:
        for name, data in zip(
            missing,
            pool.map(_drawn, missing, [seed] * len(missing), [size] * len(missing), chunksize=32),
            strict=True,
        ):
            (folder / f"{name}.jpg").write_bytes(data)


def _drawn(name: str, seed: int, size: tuple[int, int]) -> bytes:
    return jpeg.__wrapped__(name, seed, size)
