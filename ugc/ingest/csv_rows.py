"""A CSV of assets, one row per asset.

Columns (header names are case-insensitive; aliases in brackets):

- `file` (or path, file_path): a media file, relative to the CSV's folder or absolute
- `url` (or media_url): a media URL to download (http/https only)
- `caption`: the post's text; hashtags and mentions are parsed from it
- `creator` (or handle, username, creator_handle): the handle, with or without "@"
- `platform` (or source_platform): instagram, tiktok, facebook, pinterest, youtube,
  x, review, upload, other
- `permalink`: the post's URL on its platform
- `posted_at` (or posted_time, timestamp): ISO 8601, or epoch seconds
- `product_skus` (or skus, products): SKUs separated by ";", "," or "|"
- optional: `platform_id` (or id), `creator_name`, `language`, `content_type`
  (a content category slug), `product_lines` (slugs), `tags`, `alt_text`,
  `media_type` (image, video), `likes`, `comments`, `shares`, `views`

Required: `caption`, `creator`, `platform` (optional when the importer is told a
default platform), and `file` or `url`. A row needs a file, a URL or a platform id.

The file is read by `core.csvio` (the reader commerce's imports use too):
UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows-1252; comma or
semicolon separated. A cell is data: a caption starting with "@handle" or "="
is kept as written (CSV exports neutralise formulas when they write them).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from core.csvio import CsvError, open_table
from ugc.ingest.items import AssetInput, ParsedItem, SourceError, count, parse_time, split_list

ALIASES = {
    "file": "file",
    "path": "file",
    "file_path": "file",
    "url": "url",
    "media_url": "url",
    "caption": "caption",
    "creator": "creator",
    "handle": "creator",
    "username": "creator",
    "creator_handle": "creator",
    "platform": "platform",
    "source_platform": "platform",
    "permalink": "permalink",
    "posted_at": "posted_at",
    "posted_time": "posted_at",
    "timestamp": "posted_at",
    "product_skus": "product_skus",
    "skus": "product_skus",
    "products": "product_skus",
    "platform_id": "platform_id",
    "id": "platform_id",
    "creator_name": "creator_name",
    "language": "language",
    "content_type": "content_type",
    "product_lines": "product_lines",
    "tags": "tags",
    "alt_text": "alt_text",
    "media_type": "media_type",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "views": "views",
}
METRICS = ("likes", "comments", "shares", "views")


def parse_csv(path: Path | str, *, default_platform: str = "") -> Iterator[ParsedItem]:
    """One ParsedItem per data row, keyed "row N" (N counts data rows from 1).

    Raises SourceError before the first row when the file as a whole is unusable.
    """
    path = Path(path)
    try:
        table = open_table(path)
    except CsvError as exc:
        raise SourceError(f"the CSV cannot be read: {exc}") from None
    columns = [ALIASES.get(name.lower().replace(" ", "_"), "") for name in table.headers]
    present = set(columns)
    missing = [name for name in ("caption", "creator") if name not in present]
    if "platform" not in present and not default_platform:
        missing.append("platform")
    if not present & {"file", "url"}:
        missing.append("file or url")
    if missing:
        raise SourceError(
            f"missing required column(s): {', '.join(missing)} "
            f"(found: {', '.join(h for h in table.headers if h) or 'none'})"
        )
    records = table.records()
    next(records, None)  # the header
    number = 0
    while True:
        try:
            cells = next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield ParsedItem(
                f"row {number}", error=f"row {number}: unreadable, rest not read ({exc})"
            )
            return
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        number += 1
        yield _row(number, columns, cells, path.parent, default_platform)


def _row(
    number: int, columns: list[str], cells: list[str], folder: Path, default_platform: str
) -> ParsedItem:
    key = f"row {number}"
    if len(cells) > len(columns):
        return ParsedItem(
            key, error=f"{key}: {len(cells)} cells but only {len(columns)} columns in the header"
        )
    row = {column: cell.strip() for column, cell in zip(columns, cells, strict=False) if column}
    try:
        posted_at = parse_time(row["posted_at"]) if row.get("posted_at") else None
    except (ValueError, OverflowError, OSError) as exc:
        return ParsedItem(key, error=f"{key}: posted_at: {exc}")
    file_path = row.get("file", "")
    if file_path:
        file_path = str((folder / file_path).resolve())
    metrics = {name: value for name in METRICS if (value := count(row.get(name))) is not None}
    item = AssetInput(
        platform=(row.get("platform") or default_platform).lower(),
        caption=row.get("caption", ""),
        creator_handle=row.get("creator", ""),
        creator_name=row.get("creator_name", ""),
        permalink=row.get("permalink", ""),
        posted_at=posted_at,
        platform_id=row.get("platform_id", ""),
        language=row.get("language", ""),
        content_type=row.get("content_type", "").lower(),
        product_skus=split_list(row.get("product_skus", "")),
        product_line_slugs=split_list(row.get("product_lines", "")),
        tags=split_list(row.get("tags", "")),
        platform_metrics=metrics,
        alt_text=row.get("alt_text", ""),
        media_type=row.get("media_type", "").lower(),
        file_path=file_path,
        media_url=row.get("url", ""),
    )
    problems = item.validate()
    if problems:
        return ParsedItem(key, error="; ".join(f"{key}: {f}: {m}" for f, m in problems))
    return ParsedItem(key, input=item)
