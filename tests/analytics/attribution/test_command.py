"""`manage.py attribute` on channelattribution's path CSV: round trip and bad input."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from analytics.attribution import MODELS, PathSet, attribute_markov

HEADER = "path,total_conversions,total_conversion_value,total_null\n"
ROWS = (
    '"instagram > email > direct",3,150.5,10\n'
    "instagram,1,20,40\n"
    '"tiktok>instagram >email",2,80,5\n'
    "direct,0,0,12\n"
    '"instagram > email > direct",1,49.5,0\n'  # a repeat of the first path: merged
)


def attribute(tmp_path, text: str, *args: str) -> list[dict]:
    source = tmp_path / "paths.csv"
    source.write_text(text, encoding="utf-8")
    target = tmp_path / "credits.csv"
    call_command("attribute", "--input", str(source), *args, "--output", str(target))
    with target.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def expected_paths() -> PathSet:
    return PathSet.from_paths(
        [
            ["instagram", "email", "direct"],
            ["instagram"],
            ["tiktok", "instagram", "email"],
            ["direct"],
        ],
        [4, 1, 2, 0],
        [200, 20, 80, 0],
        [10, 40, 5, 12],
    )


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_writes_channelattributions_result_columns(tmp_path, model):
    rows = attribute(tmp_path, HEADER + ROWS, "--model", model)
    assert list(rows[0]) == ["channel_name", "total_conversions", "total_conversion_value"]
    expected = MODELS[model](expected_paths()).by_channel()
    assert {row["channel_name"] for row in rows} == set(expected)
    for row in rows:
        conv, value = expected[row["channel_name"]]
        assert float(row["total_conversions"]) == pytest.approx(conv)
        assert float(row["total_conversion_value"]) == pytest.approx(value)
    assert sum(float(row["total_conversion_value"]) for row in rows) == pytest.approx(300)


def test_markov_order_reaches_the_model(tmp_path):
    rows = attribute(tmp_path, HEADER + ROWS, "--model", "markov", "--order", "2")
    expected = attribute_markov(expected_paths(), order=2).by_channel()
    for row in rows:
        assert float(row["total_conversions"]) == pytest.approx(expected[row["channel_name"]][0])


def test_without_an_output_file_the_csv_goes_to_stdout(tmp_path):
    source = tmp_path / "paths.csv"
    source.write_text(HEADER + ROWS, encoding="utf-8")
    out = io.StringIO()
    call_command("attribute", "--input", str(source), "--model", "first_touch", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {row["channel_name"]: float(row["total_conversions"]) for row in rows} == {
        "instagram": 5.0,
        "tiktok": 2.0,
        "direct": 0.0,
        "email": 0.0,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("path,total_conversions,total_null\na,1,0\n", "missing column(s): total_conversion_value"),
        (HEADER + "a,one,1,0\n", "row 2, column total_conversions: 'one' is not a number"),
        (HEADER + "a,1,1,0\nb,1,-5,0\n", "row 3, column total_conversion_value: '-5' must be"),
        (HEADER + "a,1.5,1,0\n", "row 2, column total_conversions: 1.5 is not a whole count"),
        (HEADER + "a,1,1,nan\n", "row 2, column total_null: 'nan' must be a finite number"),
        (HEADER + " ,1,1,0\n", "row 2, column path: the path is empty"),
        (HEADER + '"a > > b",1,1,0\n', "row 2, column path: touch 2 is empty"),
        (HEADER + "a,0,10,1\n", "row 2, column total_conversion_value: a path without"),
        (HEADER, "the file has a header but no paths"),
        ("", "the file is empty"),
    ],
)
def test_bad_input_names_the_row_and_column(tmp_path, text, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        attribute(tmp_path, text, "--model", "linear")


def test_a_file_that_is_not_there_or_not_text_is_named(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("attribute", "--input", str(tmp_path / "nope.csv"), "--model", "linear")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00path")
    with pytest.raises(CommandError, match="not UTF-8 text"):
        call_command("attribute", "--input", str(binary), "--model", "linear")


def test_bad_model_options_are_named(tmp_path):
    with pytest.raises(CommandError, match="position-based shares need"):
        attribute(tmp_path, HEADER + ROWS, "--model", "position_based", "--first-share", "0.9")
    with pytest.raises(CommandError, match="order must be at least 1"):
        attribute(tmp_path, HEADER + ROWS, "--model", "markov", "--order", "0")


def test_without_input_it_needs_a_date_range_for_the_database():
    with pytest.raises(CommandError, match="without --input, pass --from and --to"):
        call_command("attribute", "--model", "markov")
