"""Byte-identical ``history --format json`` before and after a change, on any repositories.

    python bench/same_findings.py [--base main] REPO [REPO ...]

Extracts ``src/`` of the base revision (``git archive``) into a temporary directory, runs
``python -m binance_guard history --format json --no-progress REPO`` with it and with this
checkout's ``src/``, and compares the outputs byte for byte. Prints one line per repository
and exits 1 if any differs (after printing the first differing lines). An optimisation must
leave every output identical: run it on the synthetic repositories (bench/history.py builds
them in bench/.cache) and on a real one.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _history(src: Path, repo: str) -> tuple[bytes, float, int]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-m", "binance_guard", "history"]
    usage = subprocess.run([*command, "--help"], env=env, capture_output=True, text=True).stdout
    # A repository missing objects is incomplete (exit 2): compare what was read anyway.
    allow = ["--allow-incomplete"] if "--allow-incomplete" in usage else []
    start = time.perf_counter()
    proc = subprocess.run(
        [*command, "--format", "json", "--no-progress", *allow, repo],
        env=env,
        capture_output=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        sys.exit(f"{repo}: exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout, time.perf_counter() - start, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--base", default="main", help="revision to compare with (main)")
    parser.add_argument("repos", nargs="+")
    args = parser.parse_args()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", args.base, "src"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        for repo in args.repos:
            before, t_before, code_before = _history(Path(tmp) / "src", repo)
            after, t_after, code_after = _history(ROOT / "src", repo)
            same = before == after and code_before == code_after
            differ += not same
            print(
                f"{'identical' if same else 'DIFFERENT'}  {len(after):>8} bytes  exit {code_after}"
                f"  {t_before:6.2f} s -> {t_after:6.2f} s  {repo}"
            )
            if not same:
                diff = difflib.unified_diff(
                    before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=1
                )
                print("\n".join(list(diff)[:40]))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
