"""A folder of media files: one asset per file, keyed by its path inside the folder.

What a file is comes from its bytes, not its name: a phone's .mpo, an .apng or a
renamed photo is taken, a text file named .jpg is refused here with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext_noop

from core.reasons import Reason
from ugc.ingest.items import AssetInput, ParsedItem, SourceError
from ugc.media import MediaRejected
from ugc.media.sniff import ACCEPTED, identify

HEAD_BYTES = 4096  # enough for every signature `identify` knows


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
        try:
            with file.open("rb") as handle:
                head = handle.read(HEAD_BYTES)
            # An empty file goes on: ingestion refuses it with its own reason.
            media_type = ACCEPTED[identify(head, filename=file.name)][0] if head else ""
        except MediaRejected as exc:
            yield _refused(key, gettext_noop("%(file)s: %(reason)s"), reason=exc.message)
            continue
        except OSError as exc:
            why = gettext_noop("%(file)s: could not read the file (%(error)s)")
            yield _refused(key, why, error=exc.strerror or str(exc))
            continue
        yield ParsedItem(
            key, input=AssetInput(platform=platform, file_path=str(file), media_type=media_type)
        )


def _refused(key: str, msgid: str, **params) -> ParsedItem:
    """The file's item, failed with a reason in English and to translate."""
    reason = Reason(msgid, {"file": key, **params})
    return ParsedItem(key, error=reason.english(), message=reason.stored())
