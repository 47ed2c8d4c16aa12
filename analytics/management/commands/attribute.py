"""Attribute conversions to channels under one model.

`--input FILE` reads the aggregated path CSV of the `channelattribution`
package and `--output FILE` (or stdout) gets one row per channel in the same
shape as its results. Runs over the database's journeys come with journeys.
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

    def handle(self, *args, **options):
        if not options["input"]:
            raise CommandError(
                "--input is required: attribution over the database's journeys is not "
                "available yet, so pass an aggregated path CSV"
            )
        paths = self._read(Path(options["input"]))
        try:
            credits = MODELS[options["model"]](paths, **_model_options(options))
        except ValueError as exc:
            raise CommandError(f"--model {options['model']}: {exc}") from None
        with _output(options["output"], self.stdout) as handle:
            write_credits(handle, credits)

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
