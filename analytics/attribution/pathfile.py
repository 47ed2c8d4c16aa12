"""The aggregated path CSV of the `channelattribution` package, in and out.

In: columns `path` (channels joined by `>`, spaces around them allowed),
`total_conversions`, `total_conversion_value`, `total_null`; other columns are
ignored. Out: `channel_name`, `total_conversions`, `total_conversion_value`,
so our results and that package's compare column for column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from typing import TextIO

from analytics.attribution.pathset import Credits, PathSet

SEPARATOR = ">"
PATH = "path"
COUNTS = ("total_conversions", "total_conversion_value", "total_null")
OUTPUT_COLUMNS = ("channel_name", "total_conversions", "total_conversion_value")


class PathFileError(ValueError):
    """A path file that cannot be read; the message names the row and column."""


def read_path_file(handle: TextIO, separator: str = SEPARATOR) -> PathSet:
    reader = csv.DictReader(handle)
    _check_header(reader.fieldnames)
    paths, conversions, values, nulls = [], [], [], []
    # Row 1 is the header, so the first data row is row 2, as a spreadsheet shows it.
    for row_number, row in enumerate(reader, start=2):
        paths.append(_touches(row, row_number, separator))
        conversions.append(_count(row, "total_conversions", row_number))
        values.append(_number(row, "total_conversion_value", row_number))
        nulls.append(_count(row, "total_null", row_number))
        if values[-1] and not conversions[-1]:
            raise PathFileError(
                f"row {row_number}, column total_conversion_value: "
                "a path without conversions cannot have conversion value"
            )
    if not paths:
        raise PathFileError("the file has a header but no paths")
    return PathSet.from_paths(paths, conversions, values, nulls)


def write_credits(handle: TextIO, credits: Credits) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for name, conversions, value in credits.rows():
        writer.writerow((name, repr(conversions), repr(value)))


def _check_header(fieldnames: Iterable[str] | None) -> None:
    if not fieldnames:
        raise PathFileError("the file is empty: expected a header row")
    missing = [name for name in (PATH, *COUNTS) if name not in fieldnames]
    if missing:
        raise PathFileError(f"missing column(s): {', '.join(missing)}")


def _touches(row: dict, row_number: int, separator: str) -> list[str]:
    text = row[PATH] or ""
    if not text.strip():
        raise PathFileError(f"row {row_number}, column {PATH}: the path is empty")
    touches = [touch.strip() for touch in text.split(separator)]
    if "" in touches:
        raise PathFileError(
            f"row {row_number}, column {PATH}: touch {touches.index('') + 1} is empty in {text!r}"
        )
    return touches


def _number(row: dict, column: str, row_number: int) -> float:
    text = (row[column] or "").strip()
    try:
        number = float(text)
    except ValueError:
        raise PathFileError(
            f"row {row_number}, column {column}: {text!r} is not a number"
        ) from None
    if not math.isfinite(number) or number < 0:
        raise PathFileError(
            f"row {row_number}, column {column}: {text!r} must be a finite number >= 0"
        )
    return number


def _count(row: dict, column: str, row_number: int) -> float:
    number = _number(row, column, row_number)
    if number != int(number):
        raise PathFileError(f"row {row_number}, column {column}: {number:g} is not a whole count")
    return number
