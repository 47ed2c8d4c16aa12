"""What a file really is, from its bytes.

The name and MIME type of an upload are claims; the bytes decide. A file that
decodes as a format we take is taken whatever its name (renamed files, a phone's
.mpo, an .apng), and the claims only help name a refused file in its reason. We
accept a short list of formats, recognise the usual impostors well enough to
name them, and refuse polyglots that are also a ZIP/JAR archive.

Markup is refused only where the file itself is markup (SVG, HTML). Inside a
raster file it reaches no one: originals are never served and every rendition
is re-encoded from pixels, while Photoshop writes an XML plist into the 8BIM
resources of every JPEG it saves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from ugc.media.errors import MediaRejected, gettext_noop, phrase

# Accepted formats: name -> (kind, label, file extensions, MIME types).
ACCEPTED: dict[str, tuple[str, str, set[str], set[str]]] = {
    "jpeg": ("image", "JPEG", {".jpg", ".jpeg", ".jpe", ".jfif"}, {"image/jpeg", "image/pjpeg"}),
    "png": ("image", "PNG", {".png"}, {"image/png", "image/x-png"}),
    "webp": ("image", "WebP", {".webp"}, {"image/webp"}),
    "gif": ("image", "GIF", {".gif"}, {"image/gif"}),
    "heif": (
        "image",
        "HEIC/HEIF",
        {".heic", ".heif", ".hif"},
        {"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"},
    ),
    "avif": ("image", "AVIF", {".avif"}, {"image/avif"}),
    "mp4": ("video", "MP4/MOV", {".mp4", ".m4v", ".mov", ".qt"}, {"video/mp4", "video/quicktime"}),
    "webm": ("video", "WebM", {".webm"}, {"video/webm"}),
}

# Formats we recognise but do not accept: name -> label.
REFUSED_LABELS = {
    "tiff": "TIFF",
    "bmp": "BMP",
    "psd": "Photoshop (PSD)",
    "pdf": "PDF",
    "svg": "SVG",
    "html": "HTML",
    "xml": "XML",
    "zip": gettext_noop("ZIP archive"),
    "gzip": gettext_noop("gzip archive"),
    "rar": gettext_noop("RAR archive"),
    "7z": gettext_noop("7-Zip archive"),
    "ico": "ICO",
    "jpeg2000": "JPEG 2000",
    "jpegxl": "JPEG XL",
    "avi": "AVI",
    "wav": gettext_noop("WAV audio"),
    "mkv": gettext_noop("Matroska video"),
    "exe": gettext_noop("executable"),
    "elf": gettext_noop("executable"),
    "text": gettext_noop("plain text"),
    "mp3": gettext_noop("MP3 audio"),
    "ogg": "Ogg",
    "flv": gettext_noop("Flash video"),
}

# Why a file is refused: (what it is, whether its name or type claimed a format) ->
# the sentence. Whole sentences, so each language can order its parts.
REFUSALS = {
    ("unknown", False): gettext_noop(
        "The file's bytes are not in any format we accept. Accepted formats: %(accepted)s."
    ),
    ("unknown", True): gettext_noop(
        "The file's bytes are not in any format we accept (it claimed to be %(claimed)s). "
        "Accepted formats: %(accepted)s."
    ),
    ("text", False): gettext_noop(
        "The file is plain text, not an image or a video. Accepted formats: %(accepted)s."
    ),
    ("text", True): gettext_noop(
        "The file is plain text, not an image or a video (it claimed to be %(claimed)s). "
        "Accepted formats: %(accepted)s."
    ),
    ("other", False): gettext_noop(
        "The file is %(format)s, which we do not accept. Accepted formats: %(accepted)s."
    ),
    ("other", True): gettext_noop(
        "The file is %(format)s, which we do not accept (it claimed to be %(claimed)s). "
        "Accepted formats: %(accepted)s."
    ),
}

# Claims (extension or MIME type) for refused formats, to name them in a reason.
REFUSED_CLAIMS = {
    ".tif": "tiff",
    ".tiff": "tiff",
    "image/tiff": "tiff",
    ".bmp": "bmp",
    "image/bmp": "bmp",
    ".psd": "psd",
    "image/vnd.adobe.photoshop": "psd",
    ".pdf": "pdf",
    "application/pdf": "pdf",
    ".svg": "svg",
    ".svgz": "svg",
    "image/svg+xml": "svg",
    ".ico": "ico",
    ".jp2": "jpeg2000",
    ".jxl": "jpegxl",
    ".avi": "avi",
    ".mkv": "mkv",
    ".html": "html",
    ".htm": "html",
    "text/html": "html",
    ".txt": "text",
    "text/plain": "text",
    ".zip": "zip",
    "application/zip": "zip",
}

# Claims that say nothing about the content.
NEUTRAL_MIME = {"", "application/octet-stream", "binary/octet-stream"}

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}
HEIF_BRANDS |= {b"msf1", b"mif2"}
AVIF_BRANDS = {b"avif", b"avis"}
VIDEO_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1"}
VIDEO_BRANDS |= {b"M4V ", b"M4VH", b"M4VP", b"qt  ", b"dash", b"mmp4", b"MSNV", b"f4v "}


@dataclass(frozen=True)
class Sniffed:
    format: str  # a key of ACCEPTED
    kind: str  # "image" or "video"
    label: str
    mime_type: str  # the canonical MIME type of what the bytes are


CANONICAL_MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "heif": "image/heic",
    "avif": "image/avif",
    "mp4": "video/mp4",
    "webm": "video/webm",
}


def _isobmff(head: bytes) -> str | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    brands = {major}
    end = min(max(box_size, 16), len(head))
    for offset in range(16, end - 3, 4):
        brands.add(head[offset : offset + 4])
    if major in AVIF_BRANDS or (major in {b"mif1", b"msf1"} and brands & AVIF_BRANDS):
        return "avif"
    if major in HEIF_BRANDS:
        return "heif"
    if major in VIDEO_BRANDS or major.startswith(b"3g"):
        return "mp4"
    if brands & AVIF_BRANDS:
        return "avif"
    if brands & HEIF_BRANDS:
        return "heif"
    if brands & VIDEO_BRANDS:
        return "mp4"
    return "isobmff-other"


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the window is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return printable / max(1, len(text)) > 0.95


def detect(data: bytes) -> str:
    """The format name of these bytes: a key of ACCEPTED or REFUSED_LABELS, or 'unknown'."""
    head = data[:512]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    iso = _isobmff(head)
    if iso == "isobmff-other":
        return "unknown"
    if iso:
        return iso
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"webm" in head[:64] else "mkv"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head.startswith(b"BM") and len(head) > 14:
        return "bmp"
    if head.startswith(b"8BPS"):
        return "psd"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"Rar!"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf"):
        return "7z"
    if head.startswith(b"\x00\x00\x01\x00"):
        return "ico"
    if head.startswith(b"\x00\x00\x00\x0cjP  ") or head.startswith(b"\xff\x4f\xff\x51"):
        return "jpeg2000"
    if head.startswith(b"\xff\x0a") or head.startswith(b"\x00\x00\x00\x0cJXL "):
        return "jpegxl"
    if head.startswith(b"MZ"):
        return "exe"
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3")):
        return "mp3"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"FLV"):
        return "flv"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith(b"<svg") or (stripped.startswith(b"<?xml") and b"<svg" in data[:4096]):
        return "svg"
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html"
    if stripped.startswith(b"<?xml"):
        return "xml"
    if _looks_like_text(head):
        return "text"
    return "unknown"


def _claimed_format(filename: str, mime_type: str) -> list[tuple[str, str]]:
    """(what was claimed, format it names) for the extension and the MIME type."""
    claims = []
    ext = PurePosixPath(filename or "").suffix.lower()
    mime = (mime_type or "").split(";")[0].strip().lower()
    for claim, is_ext in ((ext, True), (mime, False)):
        if not claim or (not is_ext and claim in NEUTRAL_MIME):
            continue
        for name, (_, _, exts, mimes) in ACCEPTED.items():
            if claim in (exts if is_ext else mimes):
                claims.append((claim, name))
                break
        else:
            if claim in REFUSED_CLAIMS:  # an unknown extension or type claims nothing
                claims.append((claim, REFUSED_CLAIMS[claim]))
    return claims


def _label(name: str) -> str:
    if name in ACCEPTED:
        return ACCEPTED[name][1]
    return REFUSED_LABELS.get(name, gettext_noop("an unrecognised format"))


def _zip_tail(data: bytes) -> bool:
    """True when the file ends in a ZIP end-of-central-directory record (ZIP, JAR, GIFAR)."""
    tail = data[-(65535 + 22) :]
    at = tail.rfind(b"PK\x05\x06")
    while at != -1:
        if len(tail) >= at + 22:
            comment_length = int.from_bytes(tail[at + 20 : at + 22], "little")
            if at + 22 + comment_length == len(tail):
                return True
        at = tail.rfind(b"PK\x05\x06", 0, at)
    return False


def identify(head: bytes, *, filename: str = "", mime_type: str = "") -> str:
    """The accepted format these bytes begin with, or MediaRejected naming what they are.

    Enough for a first look at a file (its first few KB); `sniff` decides on the
    whole file.
    """
    if not head:
        raise MediaRejected(gettext_noop("The file is empty (0 bytes)."), code="empty")
    found = detect(head)
    if found in ACCEPTED:
        return found
    claims = _claimed_format(filename, mime_type)
    kind = found if found in ("unknown", "text") else "other"
    raise MediaRejected(
        REFUSALS[kind, bool(claims)],
        code="unsupported_format",
        format=phrase(_label(found)),
        claimed=", ".join(f"“{claim}”" for claim, _ in claims),
        accepted=", ".join(label for _, label, _, _ in ACCEPTED.values()),
    )


def sniff(data: bytes, *, filename: str = "", mime_type: str = "") -> Sniffed:
    """The accepted format of `data`, or MediaRejected saying why not."""
    found = identify(data, filename=filename, mime_type=mime_type)
    kind, label, _, _ = ACCEPTED[found]
    if _zip_tail(data):
        raise MediaRejected(
            gettext_noop(
                "The file is %(label)s with a ZIP archive appended (a polyglot); refused."
            ),
            code="polyglot",
            label=label,
        )
    mime = CANONICAL_MIME[found]
    if found == "mp4" and data[8:12] == b"qt  ":
        mime = "video/quicktime"  # a QuickTime movie (iPhone .MOV), same demuxer
    return Sniffed(format=found, kind=kind, label=label, mime_type=mime)
