"""Benchmarks: `make bench` (or `python -m bench [NAME ...]`) prints figures and ratios measured
side by side in one run. Each `bench_*.py` module here exposes `run(args) -> None`."""
