"""Media files made by the tests: good stills in every accepted shape, and a corpus of bad ones.

Nothing is downloaded. Each corpus entry is (label, filename, claimed MIME,
bytes, expected reason code or None for "must succeed").
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(width: int = 800, height: int = 600, seed: int = 0) -> Image.Image:
    """A photo-like RGB image: gradients, shapes and some grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [x / width * 180 + 40, y / height * 160 + 50, (x + y) / (width + height) * 140 + 70], -1
    )
    grain = rng.normal(0, 8, (height, width, 3))
    im = Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(width // 20 + 2, width // 4 + 3))
        color = tuple(int(v) for v in rng.integers(0, 255, 3))
        draw.ellipse([x0, y0, x0 + size, y0 + size], fill=color)
    return im


def jpeg_bytes(im: Image.Image, **kwargs) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=kwargs.pop("quality", 90), **kwargs)
    return out.getvalue()


def save_bytes(im: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **kwargs)
    return out.getvalue()


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel 12"  # Model
    gps = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 36.0)}
    exif[GPS_IFD] = gps
    return exif


def rotated_jpeg_with_gps() -> bytes:
    """Stored 1200x700 with orientation 6: upright it is 700x1200, red on top, blue below."""
    im = Image.new("RGB", (1200, 700), (0, 0, 255))
    ImageDraw.Draw(im).rectangle([0, 0, 599, 699], fill=(255, 0, 0))  # stored left = top
    return jpeg_bytes(im, exif=exif_with_gps(orientation=6).tobytes())


# -- raw PNG writing, for headers and chunks Pillow would not write --------------------


def _chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc & 0xFFFFFFFF)


def raw_png(
    width: int, height: int, *, bit_depth: int = 8, color_type: int = 2, idat: bytes = b""
) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header says it is huge."""
    return raw_png(width, height, idat=zlib.compress(b"\x00" * 64))


def png_bomb(side: int = 10_000) -> bytes:
    """A real, complete 1-bit PNG of side x side white pixels: a few KB, 100 MP when decoded."""
    row = b"\x00" + b"\xff" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return raw_png(side, side, bit_depth=1, color_type=0, idat=body)


def png16_grey(value: int = 32768, size: tuple[int, int] = (64, 48)) -> bytes:
    width, height = size
    row = b"\x00" + struct.pack(">H", value) * width
    return raw_png(width, height, bit_depth=16, color_type=0, idat=zlib.compress(row * height))


def png16_rgb(rgb=(65535, 32768, 0), size: tuple[int, int] = (64, 48)) -> bytes:
    width, height = size
    row = b"\x00" + struct.pack(">HHH", *rgb) * width
    return raw_png(width, height, bit_depth=16, color_type=2, idat=zlib.compress(row * height))


def png_bad_crc(chunk: bytes = b"IDAT") -> bytes:
    data = bytearray(save_bytes(photo(64, 48), "PNG"))
    at = data.find(chunk)
    length = struct.unpack(">I", data[at - 4 : at])[0]
    crc_at = at + 4 + length
    data[crc_at : crc_at + 4] = bytes(b ^ 0xFF for b in data[crc_at : crc_at + 4])
    return bytes(data)


def jpeg_with_broken_exif() -> bytes:
    """A fine JPEG whose EXIF block points into nowhere."""
    body = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\xff\xff\xff\xff"
    body += b"\x00\x06\x00\x00" + b"\xde\xad" * 8
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    data = jpeg_bytes(photo(400, 300, seed=8))
    return data[:2] + segment + data[2:]


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        z.writestr("Evil.class", b"\xca\xfe\xba\xbe" + b"\x00" * 64)
    return out.getvalue()


def gif_with_comment(comment: bytes) -> bytes:
    return save_bytes(photo(32, 24).convert("P"), "GIF", comment=comment)


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (400, 300), color) for color in ((255, 0, 0), (0, 255, 0))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    """Pure red in CMYK (C=0, M=100 %, Y=100 %, K=0)."""
    return jpeg_bytes(Image.new("CMYK", (480, 360), (0, 255, 255, 0)))


def heic_bytes() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return save_bytes(photo(160, 120, seed=3), "HEIF", quality=80)  # x265 is slow: keep it small


def avif_bytes() -> bytes:
    return save_bytes(photo(640, 480, seed=4), "AVIF", quality=70, speed=10)


def psd_bytes() -> bytes:
    header = b"8BPS" + struct.pack(">H6sHIIHH", 1, b"\x00" * 6, 3, 32, 32, 8, 3)
    return header + b"\x00" * 64


def bmp_bytes() -> bytes:
    return save_bytes(photo(32, 24), "BMP")


def tiff_bytes() -> bytes:
    return save_bytes(photo(32, 24), "TIFF")


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)


@dataclass(frozen=True)
class Case:
    label: str
    filename: str
    mime_type: str
    data: bytes
    expect: str | None  # reason code when refused, None when it must succeed


@functools.cache
def bad_corpus() -> list[Case]:
    good_jpeg = jpeg_bytes(photo(640, 480, seed=1))
    good_png = save_bytes(photo(320, 240, seed=2), "PNG")
    good_webp = save_bytes(photo(320, 240, seed=5), "WEBP")
    return [
        Case("zero bytes", "empty.jpg", "image/jpeg", b"", "empty"),
        Case(
            "truncated JPEG", "cut.jpg", "image/jpeg", good_jpeg[: len(good_jpeg) // 2], "corrupt"
        ),
        Case("JPEG header only", "head.jpg", "image/jpeg", good_jpeg[:200], "corrupt"),
        Case("truncated PNG", "cut.png", "image/png", good_png[: len(good_png) // 2], "corrupt"),
        Case(
            "truncated WebP", "cut.webp", "image/webp", good_webp[: len(good_webp) // 2], "corrupt"
        ),
        Case(
            "PNG header claiming 100000x100000",
            "huge.png",
            "image/png",
            png_claiming(100_000, 100_000),
            "too_many_pixels",
        ),
        Case("decompression bomb", "bomb.png", "image/png", png_bomb(), "too_many_pixels"),
        Case(
            "text named .jpg",
            "notes.jpg",
            "image/jpeg",
            b"hello, this is text\n" * 20,
            "unsupported_format",
        ),
        Case("SVG with script", "logo.svg", "image/svg+xml", SVG_WITH_SCRIPT, "unsupported_format"),
        Case("SVG named .png", "logo.png", "image/png", SVG_WITH_SCRIPT, "unsupported_format"),
        Case(
            "HTML named .gif",
            "page.gif",
            "image/gif",
            b"<!DOCTYPE html><html><script>x()</script>",
            "unsupported_format",
        ),
        Case("JPEG+ZIP polyglot", "poly.jpg", "image/jpeg", good_jpeg + zip_bytes(), "polyglot"),
        Case("JPEG+ZIP named .png", "poly.png", "", good_jpeg + zip_bytes(), "polyglot"),
        Case(
            "HTML named .jpg", "page.jpg", "", b"<html><body><p>hi</p></body>", "unsupported_format"
        ),
        Case("GIFAR", "gifar.gif", "image/gif", gif_with_comment(b"x") + zip_bytes(), "polyglot"),
        # Markup inside a raster file reaches no one: renditions are re-encoded pixels.
        Case(
            "GIF with script in a comment",
            "poly.gif",
            "image/gif",
            gif_with_comment(b"<script>alert(1)</script>"),
            None,
        ),
        Case(
            "JPEG with script in a comment",
            "c.jpg",
            "image/jpeg",
            jpeg_bytes(photo(64, 48), comment=b"<svg onload=alert(1)>"),
            None,
        ),
        Case("TIFF", "scan.tiff", "image/tiff", tiff_bytes(), "unsupported_format"),
        Case("TIFF named .jpg", "scan.jpg", "image/jpeg", tiff_bytes(), "unsupported_format"),
        Case("BMP", "paint.bmp", "image/bmp", bmp_bytes(), "unsupported_format"),
        Case("PSD", "layers.psd", "image/vnd.adobe.photoshop", psd_bytes(), "unsupported_format"),
        Case("PDF named .png", "doc.png", "image/png", pdf_bytes(), "unsupported_format"),
        Case("ZIP named .png", "a.png", "image/png", zip_bytes(), "unsupported_format"),
        Case(
            "executable named .gif",
            "a.gif",
            "image/gif",
            b"MZ\x90\x00" + b"\x00" * 200,
            "unsupported_format",
        ),
        Case(
            "random bytes",
            "noise.jpg",
            "",
            bytes(np.random.default_rng(9).integers(0, 256, 4096, dtype=np.uint8)),
            "unsupported_format",
        ),
        # The bytes decide: a renamed file is what it decodes as.
        Case("PNG named .jpg", "real-png.jpg", "image/jpeg", good_png, None),
        Case("JPEG sent as image/png", "photo", "image/png", good_jpeg, None),
        Case("PNG with a bad IHDR CRC", "crc1.png", "image/png", png_bad_crc(b"IHDR"), "corrupt"),
        Case("PNG with a bad IDAT CRC", "crc2.png", "image/png", png_bad_crc(b"IDAT"), "corrupt"),
        # The good ones: every accepted shape must come through.
        Case("animated GIF", "anim.gif", "image/gif", animated_gif(), None),
        Case("CMYK JPEG", "print.jpg", "image/jpeg", cmyk_jpeg(), None),
        Case("16-bit grey PNG", "deep.png", "image/png", png16_grey(), None),
        Case("16-bit RGB PNG", "deep-rgb.png", "image/png", png16_rgb(), None),
        Case("HEIC", "IMG_0001.HEIC", "image/heic", heic_bytes(), None),
        Case("AVIF", "a.avif", "image/avif", avif_bytes(), None),
        Case(
            "EXIF-rotated JPEG with GPS",
            "IMG_1234.JPG",
            "image/jpeg",
            rotated_jpeg_with_gps(),
            None,
        ),
        Case("WebP", "w.webp", "image/webp", good_webp, None),
        Case(
            "PNG with alpha",
            "cutout.png",
            "image/png",
            save_bytes(photo(320, 240).convert("RGBA"), "PNG"),
            None,
        ),
        Case("tiny JPEG", "tiny.jpg", "", jpeg_bytes(photo(50, 30)), None),
        Case("JPEG with broken EXIF", "odd.jpg", "image/jpeg", jpeg_with_broken_exif(), None),
    ]


# -- video ----------------------------------------------------------------------------------
# Clips are made in process by FFmpeg's own test sources and encoders (PyAV's wheel).

FAST_ENCODING = {
    "libx264": {"preset": "ultrafast"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8"},
}
ROTATED_PATTERN = "color=c=red:s=320x180:r=10:d=1,drawbox=x=160:y=0:w=160:h=180:color=blue:t=fill"


def _source_frames(chain: str, sink: str = "buffersink") -> list:
    """Every frame a lavfi source chain (testsrc, sine, color...) gives before it ends."""
    graph = av.filter.Graph()
    nodes = []
    for part in chain.split(","):
        name, _, args = part.partition("=")
        nodes.append(graph.add(name, args))
    nodes.append(graph.add(sink))
    graph.link_nodes(*nodes).configure()
    frames = []
    while True:
        try:
            frames.append(graph.pull())
        except (av.error.EOFError, av.error.BlockingIOError):
            return frames


def write_clip(
    path: Path,
    video: str,
    *,
    rate: int,
    audio: str | None = None,
    codec: str = "libx264",
    rotation: int = 0,
    metadata: dict | None = None,
) -> Path:
    """A clip from lavfi source chains, in the container its suffix names."""
    pictures = _source_frames(video)
    fmt = {".webm": "webm", ".mov": "mov"}.get(path.suffix, "mp4")
    with av.open(str(path), "w", format=fmt) as out:
        out.metadata.update(metadata or {})
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height = pictures[0].width, pictures[0].height
        stream.pix_fmt = "yuv420p"
        stream.options = FAST_ENCODING.get(codec, {})
        if rotation:
            stream.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=22050) if audio else None
        for picture in pictures:
            picture.pts = None
            out.mux(stream.encode(picture.reformat(format="yuv420p")))
        out.mux(stream.encode(None))
        if sound is not None:
            for chunk in _source_frames(audio, "abuffersink"):
                chunk.pts = None
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))
    return path


def make_clip(
    path: Path, *, seconds: float = 1.0, size: str = "320x240", rate: int = 15, audio: bool = True
) -> Path:
    """A test pattern with a tone, H.264/AAC, and a location tag the web MP4 must drop."""
    return write_clip(
        path,
        f"testsrc=size={size}:rate={rate}:duration={seconds}",
        rate=rate,
        audio=f"sine=frequency=440:sample_rate=22050:duration={seconds}" if audio else None,
        metadata={"location": "+52.5200+013.4050/"},
    )


def make_rotated_clip(path: Path, *, rotation: int = 90) -> Path:
    """A phone-style clip: landscape pixels (320x180, red left half, blue right half)
    with a display matrix telling players to turn it by `rotation` degrees
    counter-clockwise, so it is shown portrait, 180x320."""
    return write_clip(path, ROTATED_PATTERN, rate=10, rotation=rotation)


def shows_rotated_clip_upright(im: Image.Image) -> bool:
    """True when a frame of make_rotated_clip(rotation=90) is shown as players show it:
    blue (the stored right half) on top, red at the bottom."""
    rgb = im.convert("RGB")
    top = rgb.getpixel((rgb.width // 2, 4))
    bottom = rgb.getpixel((rgb.width // 2, rgb.height - 5))
    return top[2] > 180 and max(top[:2]) < 80 and bottom[0] > 180 and max(bottom[1:]) < 80
