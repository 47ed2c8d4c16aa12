"""Attribute conversions to channels under one model.

`--input FILE` reads the aggregated path CSV of the `channelattribution`
package and `--output FILE` (or stdout) gets one row per channel in the same
shape as its results. Without `--input` it runs on the database: the journeys
of conversions from `--from` to `--to` at `--level`, stored as an AttributionRun
(its id is printed) and its credits written as `level,key,conversions,value`.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.attribution import DIRECT, MODELS
from analytics.attribution.pathfile import PathFileError, read_path_file, write_credits

STDOUT = "-"


class Command(BaseCommand):
    help = "Attribute conversions and value to channels with one model."

    def add_arguments(self, parser):
        parser.add_argument("--input", help="aggregated path CSV (channelattribution format)")
        parser.add_argument("--model", required=True, choices=sorted(MODELS))
        parser.add_argument("--order", type=int, default=1, help="Markov order (default 1)")
        parser.add_argument(
            "--direct", default=DIRECT, help="the direct channel, for last_non_direct"
        )
        parser.add_argument("--first-share", type=float, default=0.4, help="position_based")
        parser.add_argument("--last-share", type=float, default=0.4, help="position_based")
        parser.add_argument("--output", default=STDOUT, help="CSV to write (default: stdout)")
        parser.add_argument("--from", dest="date_from", help="database mode: first day")
        parser.add_argument("--to", dest="date_to", help="database mode: last day (inclusive)")
        parser.add_argument("--level", default="channel", choices=["channel", "gallery", "asset"])
        parser.add_argument("--lookback-days", type=int, default=30)
        parser.add_argument("--currency", default="", help="database mode: orders' currency")

    def handle(self, *args, **options):
        if not options["input"]:
            self._from_database(options)
            return
        paths = self._read(Path(options["input"]))
        try:
            credits = MODELS[options["model"]](paths, **_model_options(options))
        except ValueError as exc:
            raise CommandError(f"--model {options['model']}: {exc}") from None
        with _output(options["output"], self.stdout) as handle:
            write_credits(handle, credits)

    def _from_database(self, options) -> None:
        """One run on the database's journeys, computed here rather than by a worker."""
        from datetime import date

        from analytics.models import AttributionCredit, AttributionRun
        from analytics.services.attribution_runs import checked_parameters, execute_runs

        try:
            date_from = date.fromisoformat(options["date_from"] or "")
            date_to = date.fromisoformat(options["date_to"] or "")
        except ValueError:
            raise CommandError("without --input, pass --from and --to as YYYY-MM-DD") from None
        if date_to < date_from:
            raise CommandError("--to is before --from")
        if options["lookback_days"] < 1:
            raise CommandError("--lookback-days must be at least 1")
        model = options["model"]
        run = AttributionRun.objects.create(
            model=model,
            level=options["level"],
            date_from=date_from,
            date_to=date_to,
            lookback_days=options["lookback_days"],
            currency=options["currency"].upper(),
            parameters=checked_parameters(model, _model_parameters(options)),
        )
        execute_runs([run.pk])
        run.refresh_from_db()
        if run.status != AttributionRun.Status.DONE:
            raise CommandError(f"run {run.pk} failed: {run.error}")
        self.stderr.write(f"run {run.pk}: {run.journeys} journeys, value {run.value:.2f}")
        with _output(options["output"], self.stdout) as handle:
            handle.write("level,key,conversions,value\n")
            for row in AttributionCredit.objects.filter(run=run).order_by("level", "-value"):
                handle.write(f"{row.level},{row.key},{row.conversions:.6f},{row.value:.3f}\n")

    def _read(self, path: Path):
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                return read_path_file(handle)
        except (PathFileError, OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {_reading_problem(exc)}") from None


def _reading_problem(exc: Exception) -> str:
    if isinstance(exc, PathFileError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a CSV file"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"


def _model_parameters(options: dict) -> dict:
    """The database run's parameters: the same flags, under the run's names."""
    if options["model"] == "markov":
        return {"order": options["order"]}
    if options["model"] == "position_based":
        return {"first": options["first_share"], "last": options["last_share"]}
    return {}


def _model_options(options: dict) -> dict:
    """Only the options the chosen model takes."""
    model = options["model"]
    if model == "markov":
        return {"order": options["order"]}
    if model == "last_non_direct":
        return {"direct": options["direct"]}
    if model == "position_based":
        return {"first": options["first_share"], "last": options["last_share"]}
    return {}


@contextmanager
def _output(target: str, stdout):
    if target == STDOUT:
        yield stdout
        return
    try:
        handle = Path(target).open("w", newline="", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CommandError(
            f"--output {target}: cannot be written ({exc.strerror or exc})"
        ) from None
    with handle:
        yield handle
