"""Benchmarks: each figure is a ratio against a ceiling measured in the same run.

This machine is shared and noisy, so no absolute time is trusted: every
benchmark times the project's path and, right beside it, the cheapest path
that does the same essential work on the same machine (the ceiling), and
reports measured / ceiling. Run them all with `uv run python -m bench`.
"""
