"""Recompute the daily KPI tables for a day or a range of days (UTC), e.g. after a
backfill; without dates, the days with new data since the last run (as beat does)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from analytics.services.rollups import push_asset_performance, rollup_day, rollup_pending
from core.progress import Progress


class Command(BaseCommand):
    help = "Roll up KPIs for --day, --from/--to, or the days with new data."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat)
        parser.add_argument("--from", dest="start", type=date.fromisoformat)
        parser.add_argument("--to", dest="end", type=date.fromisoformat)

    def handle(self, *args, **options):
        days = self._days(options)
        if days is None:
            days = rollup_pending()
        else:
            with Progress(len(days), "days", stream=self.stderr) as bar:
                for day in days:
                    rollup_day(day)
                    bar.advance()
        for day in days:
            push_asset_performance(day)
        self.stdout.write(f"rolled up {len(days)} days")

    def _days(self, options) -> list[date] | None:
        if options["day"]:
            return [options["day"]]
        start, end = options["start"], options["end"]
        if start is None and end is None:
            return None
        if start is None or end is None or end < start:
            raise CommandError("--from and --to go together, with --to on or after --from")
        return [start + timedelta(days=n) for n in range((end - start).days + 1)]
