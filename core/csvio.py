"""CSV files in and out of the product, the same way for every app.

Reading: a file a person exported from somewhere (a spreadsheet, Shopify, a
platform): UTF-8 with or without a BOM, UTF-16 with a BOM, else Windows-1252;
comma or semicolon separated; read as a stream, never whole into memory. A
cell is data: whatever it starts with ("=", "+", "-", "@"), it is kept as the
text it is. Row numbers are the spreadsheet's: the header is row 1, the first
data row is row 2, whatever line breaks the cells contain.

Writing: every CSV the product hands out goes through `safe_cell`, which
neutralises a cell a spreadsheet would run as a formula (OWASP's advice: a
leading single quote makes it text).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAX_CELL = 1_000_000
CHUNK = 64 * 1024

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, header): nothing is imported."""


@dataclass
class RowFailure:
    row: int
    reason: str
    key: str = ""  # the order id, SKU or handle the row belongs to

    def __str__(self) -> str:
        key = f" ({self.key})" if self.key else ""
        return f"row {self.row}{key}: {self.reason}"


@dataclass
class CsvTable:
    headers: list[str]
    encoding: str
    opener: Callable[[], BinaryIO]
    delimiter: str = ","
    notes: list[str] = field(default_factory=list)

    def column(self, *names: str) -> str | None:
        """The header that matches one of `names`, ignoring case and spaces around it."""
        wanted = {name.strip().lower() for name in names}
        for header in self.headers:
            if header.strip().lower() in wanted:
                return header
        return None

    def require(self, *names: str) -> None:
        missing = [name for name in names if self.column(name) is None]
        if missing:
            raise CsvError(
                f"missing required column{'s' if len(missing) > 1 else ''}: "
                f"{', '.join(missing)} (the header row has: {', '.join(self.headers) or 'nothing'})"
            )

    def records(self) -> Iterator[list[str]]:
        """Every record of the file as its cells, the header first."""
        with io.TextIOWrapper(self.opener(), encoding=self.encoding, newline="") as text:
            yield from csv.reader(text, delimiter=self.delimiter)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, {lower-case header: cell}) for each data row; blank rows are skipped.

        A row with more cells than the header, or a file that stops being CSV,
        comes as {"__error__": reason} (the rest of an unreadable file is skipped).
        """
        reader = self.records()
        next(reader, None)
        keys = [header.strip().lower() for header in self.headers]
        number = 1
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield number, {"__error__": f"cannot be read as CSV ({exc}); the rest is skipped"}
                return
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(keys) and any(cell.strip() for cell in cells[len(keys) :]):
                yield number, {"__error__": f"has {len(cells)} cells, the header has {len(keys)}"}
                continue
            yield number, dict(zip(keys, cells, strict=False))

    def count(self) -> int:
        return max(0, sum(1 for _ in self.records()) - 1)


def detect_encoding(opener: Callable[[], BinaryIO]) -> tuple[str, list[str]]:
    """(encoding, notes) the whole stream decodes with; reads it in chunks."""
    with opener() as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp1252"]
    first_error: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            _decode_all(opener, encoding)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        if encoding != "cp1252":
            return encoding, []
        return encoding, [
            f"the file is not UTF-8 (first bad byte at offset {first_error.start}); "
            "read it as Windows-1252 (cp1252): check accented characters, and export "
            "as 'CSV UTF-8' next time"
        ]
    if candidates == ["utf-16"]:
        raise CsvError(f"the file starts like UTF-16 but is not: {first_error}")
    raise CsvError(
        f"the file is neither UTF-8 nor Windows-1252 text ({first_error.reason} at byte "
        f"{first_error.start}); save it as 'CSV UTF-8' and import it again"
    )


def _decode_all(opener: Callable[[], BinaryIO], encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with opener() as handle:
        while chunk := handle.read(CHUNK):
            if encoding != "utf-16" and b"\x00" in chunk:
                raise CsvError(
                    "the file contains NUL bytes: it is binary (a spreadsheet, not a CSV?) "
                    "or UTF-16 without a byte order mark; save it as 'CSV UTF-8'"
                )
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise UnicodeDecodeError(
                    exc.encoding, exc.object, offset + exc.start, offset + exc.end, exc.reason
                ) from None
            offset += len(chunk)
        decoder.decode(b"", final=True)


def open_table(source: Path | str | bytes) -> CsvTable:
    """The table of a CSV file (a path) or of its bytes; CsvError when it cannot be read."""
    if isinstance(source, bytes):
        data = source

        def opener() -> BinaryIO:
            return io.BytesIO(data)
    else:
        path = Path(source)

        def opener() -> BinaryIO:
            return path.open("rb")

    with opener() as handle:
        if not handle.read(CHUNK).strip():
            raise CsvError("the file is empty")
    encoding, notes = detect_encoding(opener)
    csv.field_size_limit(MAX_CELL)
    with io.TextIOWrapper(opener(), encoding=encoding, newline="") as text:
        first_line = text.readline()
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    table = CsvTable(headers=[], encoding=encoding, opener=opener, delimiter=delimiter, notes=notes)
    try:
        headers = next(table.records(), [])
    except csv.Error as exc:
        raise CsvError(f"the header row cannot be read: {exc}") from exc
    table.headers = [header.strip() for header in headers]
    if not any(table.headers):
        raise CsvError("the first row must be a header row naming the columns")
    return table


# -- writing ------------------------------------------------------------------------


def safe_cell(value) -> str:
    """A value for a CSV we hand out: a cell a spreadsheet would run is made text.

    Plain numbers ("-12.5") are left as they are: a spreadsheet reads them as
    numbers, and nothing runs.
    """
    cell = "" if value is None else str(value)
    if cell.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def safe_row(values: Iterable) -> list[str]:
    return [safe_cell(value) for value in values]
