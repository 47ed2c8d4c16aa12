"""The progress helper: a bar on a terminal, periodic lines elsewhere."""

import io

from core.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_lines_in_a_log():
    out = io.StringIO()
    with Progress(100, "rows", stream=out) as progress:
        for _ in range(100):
            progress.advance()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("rows:   1% 1/100") or lines[0].startswith("rows:   0%")
    assert lines[-1].startswith("rows: 100% 100/100")
    assert 5 <= len(lines) <= 12


def test_a_bar_on_a_terminal():
    out = Terminal()
    with Progress(10, "rows", stream=out) as progress:
        progress.advance(10)
    text = out.getvalue()
    assert "\r" in text and "[" + "#" * 30 + "] 100% 10/10" in text and text.endswith("\n")


def test_nothing_when_disabled_and_an_empty_total_is_done():
    out = io.StringIO()
    Progress(5, stream=out, enabled=False).advance(5)
    assert out.getvalue() == ""
    assert Progress(0, stream=out).percent() == 100
