"""core.csvio: the one CSV reader of ugc and commerce imports, and safe cells on export."""

import csv
import io

import pytest

from core.csvio import CsvError, open_table, safe_cell, safe_row


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_a_file_reads_the_same_in_every_encoding_from_a_path_or_bytes(tmp_path, encoding):
    text = "caption;creator\n@ann loves it;zoë\n=SUM(1+1);bob\n"
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode(encoding))
    for source in (path, path.read_bytes()):
        table = open_table(source)
        assert table.encoding == encoding and table.delimiter == ";"
        assert list(table.rows()) == [
            (2, {"caption": "@ann loves it", "creator": "zoë"}),
            (3, {"caption": "=SUM(1+1)", "creator": "bob"}),
        ]
        assert bool(table.notes) == (encoding == "cp1252")


def test_a_bad_byte_far_into_the_file_is_found(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"a,b\n" + b"x,y\n" * 40_000 + "é".encode() + b"\x81\n")
    with pytest.raises(CsvError, match="neither UTF-8 nor Windows-1252"):
        open_table(path)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+1+1", "'+1+1"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1", "'\t=1"),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        (-4, "-4"),
        (None, ""),
        ("plain", "plain"),
    ],
)
def test_safe_cell_makes_formulas_text_and_leaves_numbers(value, written):
    assert safe_cell(value) == written


def test_a_safe_row_read_back_gives_text_a_spreadsheet_will_not_run():
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(["=1+1", 2.5, "@ann"]))
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", "2.5", "'@ann"]
