"""Run every benchmark and print one line each: ratio, the two times, the target."""

from __future__ import annotations

import argparse
import os
import sys

import django


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    django.setup()
    from bench import registry

    failed = 0
    for bench in registry.selected(args.names):
        result = bench()
        print(result.line())
        failed += not result.within_target
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
