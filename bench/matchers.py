"""The prefilter (bytes.translate + find) against compiled matchers, on the same blobs.

    python bench/matchers.py [--runs 5] REPO [REPO ...]

Reads every blob of each repository into memory once (``git cat-file --batch``), then times,
over all of them, whether each blob can hold a candidate:

- ``prefilter``: detection/prefilter.has_candidates (the default, pure Python);
- ``re``: one regex, ``[A-Za-z0-9]{64}|PRIVATE KEY-----`` (for reference);
- ``hyperscan``: the same pattern compiled by Hyperscan/Vectorscan (``pip install hyperscan``),
  block mode, stop at the first match, then the prefilter's exact check on the blobs it flags
  (a run of 64 or more is not yet a run of exactly 64), so its answers equal the prefilter's.

Aho-Corasick (pyahocorasick) matches literal strings only: a run of 64 characters of a class
is not a finite set of literals, so it cannot replace this test; it is listed as not applicable.
Prints MiB/s, the ratio to the prefilter (which is the floor here: the default path), and
checks that every matcher flags the same blobs. No assertions on time.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from binance_guard.detection.prefilter import alnum_runs, has_candidates

PATTERN = rb"[A-Za-z0-9]{64}|PRIVATE KEY-----"


def blobs(repo: str) -> list[bytes]:
    listing = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout.split(b"\n")
    ids = b"".join(line.split()[0] + b"\n" for line in listing if line.endswith(b" blob"))
    out = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=repo, input=ids, capture_output=True, check=True
    ).stdout
    result, pos = [], 0
    while pos < len(out):
        end = out.index(b"\n", pos)
        size = int(out[pos:end].split()[2])
        result.append(out[end + 1 : end + 1 + size])
        pos = end + 2 + size
    return result


def matchers() -> dict[str, Callable[[bytes], bool] | str]:
    found: dict[str, Callable[[bytes], bool] | str] = {"prefilter": has_candidates}
    regex = re.compile(PATTERN)

    def with_re(data: bytes) -> bool:
        return regex.search(data) is not None and has_candidates(data)

    found["re"] = with_re
    try:
        import hyperscan
    except ImportError:
        found["hyperscan"] = "not installed (pip install hyperscan)"
    else:
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(expressions=[PATTERN], flags=[hyperscan.HS_FLAG_SINGLEMATCH])
        scratch = hyperscan.Scratch(database)

        def stop(*_: object) -> bool:
            return True  # first match is enough

        def with_hyperscan(data: bytes) -> bool:
            try:
                database.scan(data, match_event_handler=stop, scratch=scratch)
            except hyperscan.ScanTerminated:
                return b"PRIVATE KEY-----" in data or bool(alnum_runs(data))
            return False

        found["hyperscan"] = with_hyperscan
    found["pyahocorasick"] = "not applicable: literals only, the prefilter looks for a class run"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("repos", nargs="+")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {sys.version.split()[0]}")
    for repo in args.repos:
        data = blobs(repo)
        mib = sum(map(len, data)) / (1 << 20)
        print(f"\n{repo}: {len(data)} blobs, {mib:.0f} MiB, median of {args.runs} runs")
        expected = [has_candidates(d) for d in data]
        floor = 0.0
        for name, match in matchers().items():
            if isinstance(match, str):
                print(f"  {name:<14} {match}")
                continue
            samples = []
            for _ in range(args.runs):
                start = time.perf_counter()
                flagged = [match(d) for d in data]
                samples.append(time.perf_counter() - start)
            median = statistics.median(samples)
            floor = floor or median
            same = "same blobs" if flagged == expected else "DIFFERENT blobs"
            print(
                f"  {name:<14} {median:7.3f} s {mib / median:8.0f} MiB/s "
                f"{median / floor:6.2f}x  {sum(flagged)} flagged, {same}"
            )


if __name__ == "__main__":
    main()
