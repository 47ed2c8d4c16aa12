"""`manage.py import_rights_replies FILE`: feed creators' replies from a platform export.

FILE is JSON: a list of objects (or one object per line), each
    {"asset": 12} or {"platform": "instagram", "platform_id": "1789..."},
    "author_handle": "@jane", "text": "Sure! #YesAcme", "replied_at": "2026-05-01T10:00:00Z"
A reply from the asset's creator carrying the approval hashtag grants the rights
(judged by ugc.rights_replies, as a webhook's reply is); every reply gets an outcome
in the summary.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from core.progress import Progress
from ugc.models import Asset
from ugc.services.rights_queue import handle_asset_reply


def read_replies(path: Path) -> list:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}: not JSON nor JSON lines ({exc})") from exc
    return data if isinstance(data, list) else [data]


def find_asset(reply: dict) -> Asset | None:
    assets = Asset.objects.select_related("creator")
    if reply.get("asset") is not None:
        return assets.filter(pk=reply["asset"]).first()
    if reply.get("platform") and reply.get("platform_id"):
        return assets.filter(
            source_platform=reply["platform"], platform_id=str(reply["platform_id"])
        ).first()
    return None


def apply_reply(reply) -> str:
    """One reply's outcome; a malformed reply is an outcome too, never a crash."""
    if not isinstance(reply, dict):
        return "invalid: not an object"
    missing = [name for name in ("author_handle", "text") if not reply.get(name)]
    if missing:
        return f"invalid: missing {', '.join(missing)}"
    try:
        asset = find_asset(reply)
    except (ValueError, TypeError):
        return "invalid: bad asset reference"
    if asset is None:
        return "unknown_asset"
    replied_at = parse_datetime(str(reply["replied_at"])) if reply.get("replied_at") else None
    return handle_asset_reply(
        asset,
        author_handle=str(reply["author_handle"]),
        text=str(reply["text"]),
        replied_at=replied_at,
    )


class Command(BaseCommand):
    help = "Grant rights from creators' replies (JSON or JSON lines); prints a summary."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        replies = read_replies(file)
        outcomes: Counter = Counter()
        with Progress(total=len(replies), label="replies") as progress:
            for reply in replies:
                outcomes[apply_reply(reply)] += 1
                progress.advance()
        for outcome, count in sorted(outcomes.items()):
            self.stdout.write(f"{outcome}: {count}")
