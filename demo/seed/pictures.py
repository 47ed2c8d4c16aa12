"""Generated photographs for the demo library: a sky, a horizon, a sun or moon,
blurred shapes, a "product" in its colour, and grain, so that no two look alike
(the perceptual-hash near-duplicate check must not flag them) and none is a flat
square. Drawn small and enlarged, because blurring full-size pictures would make
300 of them too slow for a demo that must be ready in minutes."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

# width x height per aspect: portrait 4:5, square, landscape 16:9
ASPECTS = {"4:5": (1200, 1500), "1:1": (1200, 1200), "16:9": (1600, 900)}
SKIES = [
    ((18, 32, 72), (250, 170, 110)),  # dawn
    ((70, 130, 200), (200, 225, 245)),  # noon
    ((40, 20, 60), (240, 120, 80)),  # dusk
    ((10, 12, 30), (40, 60, 110)),  # night
    ((150, 160, 170), (220, 220, 215)),  # overcast
]
GROUNDS = [(60, 110, 60), (190, 160, 110), (90, 90, 100), (40, 80, 120), (230, 230, 235)]
SMALL = 4  # drawn at a quarter of the size


def photo(n: int, colour: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    """Picture n (deterministic) of `size` pixels with a product object in `colour`,
    as JPEG bytes."""
    rng = random.Random(n * 7919 + 13)  # noqa: S311 (seeded: the same picture every run)
    width, height = size
    small = Image.new("RGB", (width // SMALL, height // SMALL))
    horizon = int(small.height * rng.uniform(0.35, 0.75))
    _sky(small, horizon, rng)
    _ground(small, horizon, rng)
    _shapes(small, horizon, rng)
    small = small.filter(ImageFilter.GaussianBlur(rng.uniform(1.0, 3.0)))
    _product(small, horizon, colour, rng)
    image = small.resize((width, height), Image.Resampling.BICUBIC)
    image = _grain(image, rng)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _jitter(colour, rng, amount: int = 30) -> tuple[int, int, int]:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)


def _sky(image: Image.Image, horizon: int, rng: random.Random) -> None:
    top, bottom = (_jitter(c, rng) for c in rng.choice(SKIES))
    draw = ImageDraw.Draw(image)
    for y in range(horizon):
        draw.line([(0, y), (image.width, y)], fill=_mix(top, bottom, y / max(1, horizon)))
    x, y = rng.randint(0, image.width), rng.randint(0, max(1, horizon - 10))
    r = rng.randint(8, 40)
    glow = _mix(bottom, (255, 250, 220), rng.uniform(0.5, 1.0))
    draw.ellipse([x - r, y - r, x + r, y + r], fill=glow)


def _ground(image: Image.Image, horizon: int, rng: random.Random) -> None:
    base = _jitter(rng.choice(GROUNDS), rng, 40)
    draw = ImageDraw.Draw(image)
    far = _mix(base, (200, 210, 230), 0.4)
    for y in range(horizon, image.height):
        t = (y - horizon) / max(1, image.height - horizon)
        draw.line([(0, y), (image.width, y)], fill=_mix(far, base, t))
    ridge = [(0, horizon)]
    for x in range(0, image.width + 20, 20):
        ridge.append((x, horizon - rng.randint(0, image.height // 8)))
    ridge.append((image.width, horizon))
    draw.polygon(ridge, fill=_mix(far, (60, 70, 90), rng.uniform(0.2, 0.6)))


def _shapes(image: Image.Image, horizon: int, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 9)):
        x, y = rng.randint(0, image.width), rng.randint(horizon // 2, image.height)
        w, h = rng.randint(6, 40), rng.randint(6, 40)
        fill = _jitter(rng.choice(GROUNDS + [c for sky in SKIES for c in sky]), rng, 50)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x - w, y - h, x + w, y + h], fill=fill)


def _product(image: Image.Image, horizon: int, colour, rng: random.Random) -> None:
    draw = ImageDraw.Draw(image)
    cx = rng.randint(image.width // 5, 4 * image.width // 5)
    base_y = rng.randint(horizon + 5, image.height - 5)
    w, h = rng.randint(image.width // 8, image.width // 3), rng.randint(20, image.height // 3)
    shade = _mix(colour, (0, 0, 0), 0.35)
    draw.ellipse([cx - w, base_y - 6, cx + w, base_y + 6], fill=(30, 30, 30))  # its shadow
    if rng.random() < 0.5:  # a tent-like triangle
        draw.polygon([(cx - w, base_y), (cx + w, base_y), (cx, base_y - h)], fill=colour)
        draw.line([(cx, base_y - h), (cx, base_y)], fill=shade, width=2)
    else:  # a bag- or bottle-like rounded block
        draw.rounded_rectangle([cx - w // 2, base_y - h, cx + w // 2, base_y], 8, fill=colour)
        draw.rectangle([cx - w // 2, base_y - h // 3, cx + w // 2, base_y - h // 4], fill=shade)


def _grain(image: Image.Image, rng: random.Random) -> Image.Image:
    noise = Image.effect_noise(image.size, rng.uniform(8, 20)).convert("RGB")
    return ImageChops.blend(image, ImageChops.multiply(image, noise), 0.12)
