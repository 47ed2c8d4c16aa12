"""What a file really is, from its bytes, and whether that matches what it claims.

The name and MIME type of an upload are claims; the bytes decide. We accept a
short list of formats, recognise the usual impostors well enough to name them
in the reason, and refuse polyglots (files that are also a ZIP/JAR archive or
carry markup a browser would run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ugc.media.errors import MediaRejected

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
    "zip": "ZIP archive",
    "gzip": "gzip archive",
    "rar": "RAR archive",
    "7z": "7-Zip archive",
    "ico": "ICO",
    "jpeg2000": "JPEG 2000",
    "jpegxl": "JPEG XL",
    "avi": "AVI",
    "wav": "WAV audio",
    "mkv": "Matroska video",
    "exe": "executable",
    "elf": "executable",
    "text": "plain text",
    "mp3": "MP3 audio",
    "ogg": "Ogg",
    "flv": "Flash video",
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


# Markup that a browser would run if it ever sniffed this file as a page. Spelled
# out case by case (not re.IGNORECASE) so the search starts from a literal "<"
# and scans a 4 MB photo in milliseconds.
def _nocase(word: str) -> str:
    return "".join(f"[{ch.lower()}{ch.upper()}]" if ch.isalpha() else re.escape(ch) for ch in word)


_TAGS = "|".join(_nocase(tag) for tag in ("script", "html", "body", "iframe", "svg", "object"))
MARKUP = re.compile(
    f"<(?:{_TAGS}|{_nocase('embed')}|{_nocase('meta')})[\\s>/]|<\\?php|<!{_nocase('doctype')}\\s".encode()
)


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
    return REFUSED_LABELS.get(name, "an unrecognised format")


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


def sniff(data: bytes, *, filename: str = "", mime_type: str = "") -> Sniffed:
    """The accepted format of `data`, or MediaRejected saying why not."""
    if not data:
        raise MediaRejected("The file is empty (0 bytes).", code="empty")
    found = detect(data)
    claims = _claimed_format(filename, mime_type)
    if found not in ACCEPTED:
        what = _label(found)
        if found == "unknown":
            reason = "The file's bytes are not in any format we accept"
        elif found == "text":
            reason = "The file is plain text, not an image or a video"
        else:
            reason = f"The file is {what}, which we do not accept"
        if claims:
            named = ", ".join(f"“{claim}”" for claim, _ in claims)
            reason += f" (it claimed to be {named})"
        accepted = ", ".join(label for _, label, _, _ in ACCEPTED.values())
        raise MediaRejected(f"{reason}. Accepted formats: {accepted}.", code="unsupported_format")
    for claim, name in claims:
        # HEIC and AVIF share the HEIF container; apps label either as the other.
        if name != found and {name, found} != {"heif", "avif"}:
            raise MediaRejected(
                f"The file claims to be {_label(name)} (“{claim}”) but its bytes are "
                f"{_label(found)}.",
                code="type_mismatch",
            )
    kind, label, _, _ = ACCEPTED[found]
    if _zip_tail(data):
        raise MediaRejected(
            f"The file is {label} with a ZIP archive appended (a polyglot); refused.",
            code="polyglot",
        )
    if kind == "image" and MARKUP.search(data):
        raise MediaRejected(
            f"The file is {label} but carries HTML or script markup (a polyglot); refused.",
            code="polyglot",
        )
    mime = CANONICAL_MIME[found]
    if found == "mp4" and data[8:12] == b"qt  ":
        mime = "video/quicktime"  # a QuickTime movie (iPhone .MOV), same demuxer
    return Sniffed(format=found, kind=kind, label=label, mime_type=mime)
