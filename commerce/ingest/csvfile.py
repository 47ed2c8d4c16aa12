"""Reading a CSV file that a person exported from somewhere: encodings, headers, rows.

Row numbers are the spreadsheet's: the header is row 1, the first data row is
row 2, whatever line breaks the cells contain.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_CELL = 1_000_000


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
    text: str
    encoding: str
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

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, {lower-case header: cell}); a row with extra cells is reported."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
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
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        return max(0, sum(1 for _ in reader) - 1)


def decode(data: bytes) -> tuple[str, str, list[str]]:
    """(text, encoding, notes): UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig", []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError as exc:
            raise CsvError(f"the file starts like UTF-16 but is not: {exc}") from exc
    if b"\x00" in data[:4096]:
        raise CsvError(
            "the file contains NUL bytes: it is binary (a spreadsheet, not a CSV?) or UTF-16 "
            "without a byte order mark; save it as 'CSV UTF-8'"
        )
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise CsvError(
                f"the file is neither UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
                "nor Windows-1252; save it as 'CSV UTF-8' and import it again"
            ) from exc
        return (
            text,
            "cp1252",
            [
                f"the file is not UTF-8 (first bad byte at offset {utf8_error.start}); "
                "read it as Windows-1252 (cp1252): check accented characters, and export "
                "as 'CSV UTF-8' next time"
            ],
        )


def open_table(source: Path | str | bytes) -> CsvTable:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not data.strip():
        raise CsvError("the file is empty")
    text, encoding, notes = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    csv.field_size_limit(MAX_CELL)
    try:
        headers = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise CsvError(f"the header row cannot be read: {exc}") from exc
    headers = [header.strip() for header in headers]
    if not any(headers):
        raise CsvError("the first row must be a header row naming the columns")
    return CsvTable(headers=headers, text=text, encoding=encoding, delimiter=delimiter, notes=notes)
