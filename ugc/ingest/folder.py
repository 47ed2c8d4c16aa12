"""A folder of media files: one asset per file, keyed by its path inside the folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ugc.ingest.items import MEDIA_EXTENSIONS, AssetInput, ParsedItem, SourceError, media_kind


def parse_folder(path: Path | str, *, platform: str = "upload") -> Iterator[ParsedItem]:
    """Every file under the folder, in name order; hidden files and folders are skipped."""
    root = Path(path)
    if not root.is_dir():
        raise SourceError(f"{root} is not a folder")
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not file.is_file():
            continue
        key = relative.as_posix()
        kind = media_kind(file.name)
        if kind is None:
            yield ParsedItem(
                key,
                error=f"{key}: not a media file we take (extensions: "
                f"{', '.join(sorted(MEDIA_EXTENSIONS))})",
            )
            continue
        yield ParsedItem(
            key, input=AssetInput(platform=platform, file_path=str(file), media_type=kind[0])
        )
