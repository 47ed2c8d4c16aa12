"""Run the benchmarks: one line each on the terminal, then a markdown table and JSON in
bench/results/, each figure with the ceiling it was measured against in the same run, its
ratio, its goal and whether the goal was met. The run has its own dated file; its figures
are merged into `latest-<scale>`, which keeps each benchmark's most recent measurement.

    uv run python -m bench                       # every benchmark, small scale (minutes)
    uv run python -m bench --scale full          # the sizes the goals are set at (an hour+)
    uv run python -m bench search_semantic_top24 collect_events_per_second
    uv run python -m bench media                 # every benchmark of bench/media.py
    uv run python -m bench --list
    uv run python -m bench --readme              # latest-full's table into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

import django

# The docs page that shows the latest table, between its markers.
BENCHMARKS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"

# The size knobs of each benchmark module at each scale. A variable already set in the
# environment wins, so one figure can be run at any size.
SCALES: dict[str, dict[str, str]] = {
    "small": {
        "BENCH_SEARCH_ASSETS": "20000",
        "BENCH_GALLERY_ASSETS": "20000",
        "BENCH_SCORING_ASSETS": "20000",
        "BENCH_KPI_EVENTS": "100000",
        "BENCH_ATTRIBUTION_JOURNEYS": "100000",
        "BENCH_WRK_SECONDS": "3",
        "BENCH_COLLECT_SECONDS": "3",
        "BENCH_COLLECTION_POSTS": "500",
        "BENCH_STORAGE_ROUNDS": "2",
        "BENCH_INBOX_REQUESTS": "20000",
        "BENCH_OUTREACH_REQUESTS": "3000",
    },
    "full": {
        "BENCH_SEARCH_ASSETS": "1000000",
        "BENCH_GALLERY_ASSETS": "1000000",
        "BENCH_SCORING_ASSETS": "1000000",
        "BENCH_KPI_EVENTS": "10000000",
        "BENCH_ATTRIBUTION_JOURNEYS": "1000000",
        "BENCH_WRK_SECONDS": "10",
        "BENCH_COLLECT_SECONDS": "10",
        "BENCH_COLLECTION_POSTS": "10000",
        "BENCH_STORAGE_ROUNDS": "5",
        "BENCH_INBOX_REQUESTS": "100000",
        "BENCH_OUTREACH_REQUESTS": "10000",
    },
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--scale", choices=sorted(SCALES), help="small (default) or full")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    parser.add_argument("--no-write", action="store_true", help="print only, write no files")
    parser.add_argument(
        "--readme",
        action="store_true",
        help="run nothing: write latest-<scale> (full unless --scale) into docs/benchmarks.md",
    )
    args = parser.parse_args()
    if args.readme:
        from bench import report

        report.write_readme(BENCHMARKS_PAGE, args.scale or "full")
        print(f"wrote the {args.scale or 'full'} table into {BENCHMARKS_PAGE}")
        return 0
    args.scale = args.scale or "small"

    for name, value in SCALES[args.scale].items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    django.setup()
    from bench import registry, report

    chosen = registry.selected(args.names)
    if args.list:
        print("\n".join(fn.__name__ for fn in chosen))
        return 0
    unknown = set(args.names) - {
        name for fn in chosen for name in (fn.__name__, registry.module_name(fn))
    }
    if unknown:
        parser.error(f"no benchmark named {', '.join(sorted(unknown))} (see --list)")

    run = report.Run(scale=args.scale)
    order = [fn.__name__ for fn in registry.BENCHMARKS]
    written: list = []
    for bench in chosen:
        try:
            result = bench()
        except Exception:  # one broken benchmark must not hide the others
            run.failed(bench.__name__, traceback.format_exc(limit=3))
            print(f"{bench.__name__:<34} FAILED\n{run.errors[-1]['error']}", flush=True)
        else:
            run.add(bench.__name__, result)
            print(result.line(), flush=True)
        if not args.no_write:
            # After each one: a long run stopped half-way keeps what it measured.
            written = run.write(order=order)
    for path in written:
        print(f"wrote {path}")
    return 0 if run.all_met else 1


if __name__ == "__main__":
    sys.exit(main())
