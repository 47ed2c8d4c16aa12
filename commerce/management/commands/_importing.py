"""What import_catalog and import_orders share: progress, summary, exit status."""

from __future__ import annotations

from django.core.management.base import CommandError

from commerce.services.imports import CsvError, ImportSummary, write_failures
from core.progress import Progress


def progress_for(command, quiet: bool):
    def factory(total: int, label: str):
        return Progress(total, label, stream=command.stderr._out, enabled=not quiet)

    return factory


def run(command, options, fn) -> ImportSummary:
    try:
        summary = fn()
    except CsvError as exc:
        raise CommandError(f"{options['file']}: {exc}") from None
    except FileNotFoundError:
        raise CommandError(f"{options['file']}: no such file") from None
    except IsADirectoryError:
        raise CommandError(f"{options['file']}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise CommandError(f"{options['file']}: cannot be read ({exc.strerror or exc})") from None
    for line in summary.lines():
        if line.startswith("note:"):
            command.stderr.write(line)
        else:
            command.stdout.write(line)
    if options.get("errors"):
        write_failures(summary, options["errors"])
        command.stdout.write(f"failed rows written to {options['errors']}")
    if summary.failed and options.get("strict"):
        raise CommandError(f"{summary.failed} rows failed")
    return summary
