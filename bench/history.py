"""History scan speed against git reading every object, measured in the same run.

    python bench/history.py [--commits 2000 20000] [--runs 3]

Builds synthetic repositories with ``git fast-import`` (cached in bench/.cache): mixed-language
files, a few lines of one to three files edited per commit, files added and deleted, side
branches merged back, a handful of generated fake keys added and removed. Then times:

- ``git cat-file --batch-all-objects --batch > /dev/null``: the floor, git inflating every
  object once;
- ``git log -p --all > /dev/null``: what diff-based scanners pay;
- ``binance-guard history --format json``.

Prints MiB/s over the total object bytes, the ratio to the floor, and the peak RSS of the
binance-guard run. No assertions.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing.keys import fake_key

CACHE = Path(__file__).resolve().parent / ".cache"
EXTENSIONS = ("py", "js", "go", "yaml", "json", "md")
WORDS = ("order", "price", "symbol", "client", "depth", "ticker", "balance", "retry", "stream")


def _line(rng: random.Random, ext: str) -> str:
    a, b, n = rng.choice(WORDS), rng.choice(WORDS), rng.randrange(10_000)
    return {
        "py": f"{a}_{n} = compute_{b}({n})",
        "js": f"const {a}{n} = await {b}.fetch({n});",
        "go": f"\t{a}{n} := {b}.Get({n})",
        "yaml": f"{a}_{n}: {b}-{n}",
        "json": f'  "{a}_{n}": "{b}",',
        "md": f"The {a} of {b} number {n} is documented here.",
    }[ext]


def _data(content: bytes) -> bytes:
    return b"data %d\n%s" % (len(content), content)


def build(commits: int) -> Path:
    """A deterministic synthetic repository with ``commits`` commits (built once, cached)."""
    repo = CACHE / f"synthetic-{commits}"
    if (repo / "done").exists():
        return repo
    subprocess.run(["rm", "-rf", str(repo)], check=True)
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    rng = random.Random(commits)
    files: dict[str, list[str]] = {}
    stream: list[bytes] = []
    mark = 0
    branch_tip: dict[str, int] = {}
    secrets = 0
    for i in range(commits):
        branch = "main" if i % 50 < 40 else f"feature-{i // 50}"
        changes: dict[str, list[str] | None] = {}
        if not files or rng.random() < 0.05:
            ext = rng.choice(EXTENSIONS)
            name = f"src/{rng.choice(WORDS)}/{rng.choice(WORDS)}_{i}.{ext}"
            changes[name] = [_line(rng, ext) for _ in range(rng.randint(40, 400))]
        elif rng.random() < 0.01 and len(files) > 10:
            changes[rng.choice(sorted(files))] = None
        for name in rng.sample(sorted(files), min(len(files), rng.randint(1, 3))):
            if name in changes:
                continue
            lines = list(files[name])
            ext = name.rsplit(".", 1)[1]
            for _ in range(rng.randint(1, 6)):
                lines.insert(rng.randrange(len(lines) + 1), _line(rng, ext))
            if rng.random() < 0.002:  # a leak, removed a few commits later by normal edits
                lines.insert(0, f"BINANCE_API_KEY = '{fake_key(f'bench-{secrets}')}'")
                secrets += 1
            changes[name] = lines
        mark += 1
        parent = branch_tip.get(branch, branch_tip.get("main"))
        body = [
            b"commit refs/heads/" + branch.encode(),
            b"mark :%d" % mark,
            b"author Bench <bench@example.com> %d +0000" % (1_600_000_000 + i * 600),
            b"committer Bench <bench@example.com> %d +0000" % (1_600_000_000 + i * 600),
            _data(f"commit {i}".encode()),
        ]
        if parent is not None:
            body.append(b"from :%d" % parent)
        if branch == "main" and i % 50 == 0 and f"feature-{i // 50 - 1}" in branch_tip:
            body.append(b"merge :%d" % branch_tip[f"feature-{i // 50 - 1}"])
        for name, content in changes.items():
            if content is None:
                body.append(b"D " + name.encode())
                files.pop(name, None)
            else:
                files[name] = content
                body.append(b"M 100644 inline " + name.encode())
                body.append(_data(("\n".join(content) + "\n").encode()))
        stream.append(b"\n".join(body) + b"\n")
        branch_tip[branch] = mark
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True)
    subprocess.run(["git", "gc", "--quiet", "--aggressive"], cwd=repo, check=True)
    (repo / "done").touch()
    return repo


def _time(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _object_bytes(repo: Path) -> int:
    out = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch-check=%(objectsize)"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    return sum(int(n) for n in out.split())


def _peak_rss_kib(cmd: list[str], cwd: Path) -> int:
    """Peak RSS of the largest process of a fresh run (GNU time), else of this run's children."""
    try:
        out = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *cmd],
            cwd=cwd,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        return int(out.stderr.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, check=False)
        return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    guard = [
        sys.executable,
        "-m",
        "binance_guard",
        "history",
        "--format",
        "json",
        "--no-progress",
        ".",
    ]
    commands = {
        "git cat-file --batch-all-objects (floor)": [
            "git",
            "cat-file",
            "--batch-all-objects",
            "--batch",
        ],
        "git log -p --all": ["git", "log", "-p", "--all"],
        "binance-guard history": guard,
    }
    for count in args.commits:
        repo = build(count)
        size = _object_bytes(repo) / (1 << 20)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                samples[name].append(_time(cmd, repo))
        rss = _peak_rss_kib(guard, repo)
        floor = statistics.median(samples["git cat-file --batch-all-objects (floor)"])
        print(f"\n{count} commits, {size:.0f} MiB of objects, median of {args.runs} runs")
        print(f"{'command':<42} {'seconds':>8} {'MiB/s':>8} {'x floor':>8}")
        for name, values in samples.items():
            median = statistics.median(values)
            print(f"{name:<42} {median:>8.2f} {size / median:>8.0f} {median / floor:>8.2f}")
        print(f"binance-guard history peak RSS: {rss / 1024:.0f} MiB (largest process)")


if __name__ == "__main__":
    main()
