"""Scanner cost on adversarial shapes (testing/shapes.py), against a floor measured in the same
run.

    python bench/scan_shapes.py [--mb 1] [--runs 5]

For each shape, builds ``--mb`` MB and a quarter of that, and times ``scan_bytes`` on both
(median of ``--runs``). The floor is the prefilter on the same bytes (``alnum_runs``: the
translate-and-find pass every buffer pays). Times are CPU seconds of this process (the scanner
runs in one thread): on a shared machine, wall time measured the other work as much as the
scanner (growth 2.4-5.3 at load 14). Prints seconds per MB, the ratio to the floor and
the growth from the quarter to the full size (4.0 is linear; issue 10's quadratic scan gave
~16). What the scanner memoises (a value's slot by the text before it, a value's verdict, a
name's role) is forgotten before each run: every run is a first scan of those bytes. No
assertions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binance_guard.detection import scanner
from binance_guard.detection.prefilter import alnum_runs
from testing.shapes import SHAPES, forget_memos

MB = 1_000_000


def _median(run: Callable[[bytes], object], data: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        forget_memos()
        start = time.process_time()
        run(data)
        times.append(time.process_time() - start)
    return statistics.median(times)


def _scan(data: bytes) -> object:
    return scanner.scan_bytes(data, "bundle.js")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=1.0, help="size of the larger input")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size = int(args.mb * MB)
    print(f"{'shape':<22} {'s/MB':>8} {'floor s/MB':>10} {'x floor':>8} {'growth 4x':>9}")
    for name, make in SHAPES.items():
        small, large = make(size // 4), make(size)
        floor = _median(alnum_runs, large, args.runs) / (len(large) / MB)
        quarter = _median(_scan, small, args.runs)
        full = _median(_scan, large, args.runs)
        per_mb = full / (len(large) / MB)
        print(
            f"{name:<22} {per_mb:>8.3f} {floor:>10.4f} {per_mb / floor:>8.0f} "
            f"{full / quarter:>9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
