"""What every source is turned into: one `AssetInput` per asset, or an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PLATFORMS = frozenset(
    {"instagram", "tiktok", "facebook", "pinterest", "youtube", "x", "review", "upload", "other"}
)
MEDIA_TYPES = frozenset({"image", "video"})

# File extensions we take as media, and the media type and MIME type they claim.
# The pipeline checks the bytes; these are only claims.
MEDIA_EXTENSIONS: dict[str, tuple[str, str]] = {
    ".jpg": ("image", "image/jpeg"),
    ".jpeg": ("image", "image/jpeg"),
    ".png": ("image", "image/png"),
    ".webp": ("image", "image/webp"),
    ".gif": ("image", "image/gif"),
    ".heic": ("image", "image/heic"),
    ".heif": ("image", "image/heif"),
    ".avif": ("image", "image/avif"),
    ".mp4": ("video", "video/mp4"),
    ".m4v": ("video", "video/mp4"),
    ".mov": ("video", "video/quicktime"),
    ".webm": ("video", "video/webm"),
}


TEXT_FIELDS = (
    "platform",
    "caption",
    "creator_handle",
    "creator_name",
    "permalink",
    "platform_id",
    "language",
    "content_type",
    "alt_text",
    "media_type",
    "file_path",
    "media_url",
)
MAX_DIMENSION = 100_000  # pixels; anything larger is not a real width or height


class SourceError(ValueError):
    """The source as a whole cannot be read (missing columns, wrong shape, bad encoding)."""


@dataclass
class AssetInput:
    """Everything a source may tell about one asset. Empty means "not known"."""

    platform: str = "upload"
    caption: str = ""
    creator_handle: str = ""
    creator_name: str = ""
    permalink: str = ""
    posted_at: datetime | None = None
    platform_id: str = ""
    language: str = ""
    content_type: str = ""  # a ContentCategory slug
    product_skus: list[str] = field(default_factory=list)
    product_line_slugs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    platform_metrics: dict[str, int] = field(default_factory=dict)
    alt_text: str = ""
    media_type: str = ""  # image | video, when the source says; else from the file
    # Where the media is: a local file, or a URL to download. Neither: metadata only
    # (allowed with a platform id; a later import with the media fills it in).
    file_path: str = ""
    media_url: str = ""
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    # Platform links that are not the media itself (TikTok's embed and cover).
    platform_links: dict[str, str] = field(default_factory=dict)

    def clean(self) -> None:
        """Drop what PostgreSQL text cannot hold (NUL) and surrounding whitespace."""
        values = self.__dict__  # the hot loop of a large import: plain dict access
        for name in TEXT_FIELDS:
            value = values[name]
            if value.__class__ is not str:
                value = "" if value is None else str(value)
            if "\x00" in value:
                value = value.replace("\x00", "")
            values[name] = value.strip()
        for name in ("product_skus", "product_line_slugs", "tags"):
            if values[name]:
                values[name] = [v.replace("\x00", "").strip() for v in values[name]]
        for name in ("width", "height"):
            value = getattr(self, name)
            if value is not None and not 0 < value <= MAX_DIMENSION:
                setattr(self, name, None)
        if self.duration_seconds is not None and not 0 <= self.duration_seconds < 10**7:
            self.duration_seconds = None
        # A counter that is not a sane whole number is dropped, not a reason to refuse.
        self.platform_metrics = {
            str(name): value
            for name, value in self.platform_metrics.items()
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53
        }

    def validate(self) -> list[tuple[str, str]]:
        """(field, message) for each problem; empty when the input is usable. Cleans first."""
        self.clean()
        problems: list[tuple[str, str]] = []
        if self.platform not in PLATFORMS:
            problems.append(
                ("platform", f"unknown platform {self.platform!r}; one of {sorted(PLATFORMS)}")
            )
        if self.media_type and self.media_type not in MEDIA_TYPES:
            problems.append(("media_type", f"must be image or video, not {self.media_type!r}"))
        for name, limit in (
            ("creator_handle", 150),
            ("creator_name", 200),
            ("permalink", 1000),
            ("platform_id", 200),
            ("language", 16),
            ("alt_text", 500),
            ("media_url", 2000),
            ("content_type", 50),
        ):
            if len(getattr(self, name)) > limit:
                problems.append((name, f"longer than {limit} characters"))
        for name in ("permalink", "media_url"):
            value = getattr(self, name)
            if value and not value.lower().startswith(("http://", "https://")):
                problems.append((name, "must be an http or https URL"))
        for tag in self.tags:
            if len(tag) > 100:
                problems.append(("tags", f"tag longer than 100 characters: {tag[:20]}..."))
        for sku in self.product_skus:
            if len(sku) > 100:
                problems.append(("product_skus", f"SKU longer than 100 characters: {sku[:20]}..."))

        if not (self.file_path or self.media_url or self.platform_id):
            problems.append(("file", "needs a file, a URL or a platform id"))
        return problems


@dataclass
class ParsedItem:
    """One item of a source: its key (for resuming) and the input, or why it is unusable."""

    key: str
    input: AssetInput | None = None
    error: str = ""  # in English
    message: dict | None = None  # the error to translate, where written so (core/reasons.py)


def media_kind(name: str) -> tuple[str, str] | None:
    """(media type, claimed MIME type) from a file name's extension, or None."""
    return MEDIA_EXTENSIONS.get(Path(name).suffix.lower())


def parse_time(value) -> datetime:
    """ISO 8601 (with "Z" or "+0000") or epoch seconds -> an aware datetime (UTC if naive)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), tz=UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date and time: {text[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_list(value: str) -> list[str]:
    """ "A1; B2 | C3,D4" -> ["A1", "B2", "C3", "D4"], order kept, duplicates dropped."""
    seen: dict[str, None] = {}
    for sep in ("|", ";"):
        value = value.replace(sep, ",")
    for part in value.split(","):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def count(value) -> int | None:
    """A platform metric as a non-negative int, or None when absent or not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None
