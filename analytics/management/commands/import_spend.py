"""Import advertising spend from a CSV (date, channel, campaign, amount, currency).

Idempotent on (date, channel, campaign): run it again with the same file and
nothing changes; a corrected file replaces the amounts it names. Bad rows are
listed with their line numbers; the good rows are kept.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.services.spend import SpendFileError, import_spend


class Command(BaseCommand):
    help = "Import advertising spend per day, channel and campaign from a CSV."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from None
        try:
            result = import_spend(text)
        except SpendFileError as exc:
            raise CommandError(str(exc)) from None
        for error in result.errors:
            self.stderr.write(f"line {error['line']}: {error['message']}")
        self.stdout.write(
            f"{len(result.rows)} rows read, {result.written} new or changed, "
            f"{len(result.errors)} refused"
        )
        if result.errors and not result.rows:
            raise CommandError("no row could be imported")
