"""Run every benchmark module (bench/bench_*.py), or only those named on the command line."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--rows", type=int, default=500_000, help="catalog size to measure at")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per case")
    args = parser.parse_args()
    here = Path(__file__).parent
    found = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [n for n in found if not args.names or n.removeprefix("bench_") in args.names]
    for name in chosen:
        print(f"\n== {name.removeprefix('bench_')} ==", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").run(args)
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
