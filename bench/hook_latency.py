"""Commit-hook latency against a floor measured in the same run.

    python bench/hook_latency.py [--runs 30]

Builds a repository with a staged 10-file commit (mixed languages, a few hundred lines each),
then times, interleaved so that machine noise hits every command alike:

- ``python -c pass`` with the same interpreter: the floor (Python's start-up);
- ``git diff --cached -U0``: what the clean path must pay for git;
- the hook as pre-commit runs it (``python -m binance_guard hook`` with the staged files as
  arguments, see .pre-commit-hooks.yaml), and through the ``binance-guard`` console script
  (pip's wrapper imports ``re`` first), on the clean commit and on one holding a key.

Run it with the interpreter of a regular (non-editable) install to see what pre-commit's
environment pays; an editable install adds a path hook to every import.

Prints medians and ratios to the floor. No assertions: numbers to read, not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing.git_repo import GIT_ENV, commit, make_repo, stage
from testing.keys import fake_key

EXTENSIONS = ("py", "js", "go", "yaml", "json", "md", "ts", "toml", "sh", "java")


def _source(rng: random.Random, ext: str, lines: int) -> str:
    words = ["order", "price", "symbol", "client", "depth", "ticker", "balance", "retry"]
    out = []
    for i in range(lines):
        a, b = rng.choice(words), rng.choice(words)
        out.append(f"{a}_{i} = compute_{b}({i}, '{a}-{b}')  # {ext} line {i}")
    return "\n".join(out) + "\n"


def build(root: Path) -> tuple[Path, list[str]]:
    rng = random.Random(7)
    repo = make_repo(root / "repo")
    names = [f"src/module_{i}.{ext}" for i, ext in enumerate(EXTENSIONS)]
    commit(repo, {n: _source(rng, n.rsplit(".", 1)[1], rng.randint(50, 300)) for n in names})
    edits: dict[str, str | bytes] = {}
    for name in names:
        text = (repo / name).read_text().splitlines(keepends=True)
        for _ in range(5):
            text.insert(rng.randrange(len(text)), f"edited_{rng.random():.6f} = 1\n")
        edits[name] = "".join(text)
    stage(repo, edits)
    return repo, names


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter_ns()
    subprocess.run(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return (time.perf_counter_ns() - start) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    script = Path(sys.executable).parent / "binance-guard"
    env = {**os.environ, **GIT_ENV}
    with tempfile.TemporaryDirectory() as tmp:
        repo, names = build(Path(tmp))
        key_repo, _ = build(Path(tmp) / "with-key")
        bot = names[0]
        text = (key_repo / bot).read_text()
        stage(
            key_repo,
            {bot: text + f'client = Client("{fake_key(1)}", "{fake_key(2)}")\n# binance\n'},
        )
        commands = {
            "python -c pass (floor)": ([sys.executable, "-c", "pass"], repo),
            "git diff --cached -U0": (["git", "diff", "--cached", "-U0"], repo),
            "hook, clean commit (python -m, as pre-commit)": (
                [sys.executable, "-m", "binance_guard", "hook", *names],
                repo,
            ),
            "hook, clean commit (console script)": ([str(script), "hook", *names], repo),
            "hook, commit with a key (python -m)": (
                [sys.executable, "-m", "binance_guard", "hook", *names],
                key_repo,
            ),
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for cmd, cwd in commands.values():  # warm-up: caches, .pyc files
            _time(cmd, cwd, env)
        for _ in range(args.runs):
            for name, (cmd, cwd) in commands.items():
                samples[name].append(_time(cmd, cwd, env))
    floor = statistics.median(samples["python -c pass (floor)"])
    print(f"hook latency, median of {args.runs} runs each (interleaved)")
    print(f"{'command':<44} {'median ms':>10} {'x floor':>8}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<44} {median:>10.1f} {median / floor:>8.2f}")


if __name__ == "__main__":
    main()
