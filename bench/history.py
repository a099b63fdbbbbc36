"""History scan speed against git reading every object, measured in the same run.

    python bench/history.py [--commits 2000 20000] [--repo PATH ...] [--jobs 1 2] [--runs 5]
                            [--log-p] [--base REV ...]

Builds synthetic repositories with ``git fast-import`` (cached in bench/.cache): mixed-language
files, a few lines of one to three files edited per commit, files added and deleted, side
branches merged back, a handful of generated fake keys added and removed. ``--repo`` adds real
repositories (e.g. the bare mirrors the README names). For each repository, interleaved runs of:

- ``git cat-file --batch-all-objects --batch > /dev/null``: the ordered floor, git inflating
  every object once in object-id order (what the issue's figures call "the floor");
- the same with ``--unordered``: pack order, git's fastest way to read everything;
- ``git log -p --all > /dev/null`` with ``--log-p``: what diff-based scanners pay;
- ``binance-guard history --format json --jobs N`` for each N of ``--jobs`` (default: none,
  i.e. the default job count);
- with ``--base REV``, the same (default jobs) with ``src/`` of revision REV of this checkout:
  before and after a change, under the same load.

Guard commands run with compiled bytecode (in bench/.cache, whatever PYTHONDONTWRITEBYTECODE
says), as an installed package does. Prints the date, machine (CPU model, usable CPUs, load
average before and after), medians, MiB/s over all object bytes, ratios to both floors, and
for one extra run of each guard command the peak memory of its whole process tree (itself,
its workers and every git they start: RSS and PSS summed over the tree, polled every 20 ms
from /proc) and its CPU time. Beside wall time, the median CPU seconds of the command and
every process it started, and their ratio to the unordered floor's: steadier than wall time
on a shared machine. No assertions.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testing.keys import fake_key

ROOT = Path(__file__).resolve().parents[1]
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


def _time(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(seconds, CPU seconds of the command and everything it started), or NaNs when the
    command failed (git log -p stops at a missing blob)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    ok = proc.returncode == 0 or (cmd[0] != "git" and proc.returncode == 1)  # 1: findings
    return (wall, cpu) if ok else (math.nan, math.nan)


def _object_bytes(repo: Path) -> int:
    out = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch-check=%(objectsize)"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    return sum(int(n) for n in out.split())


def _tree_memory_kib(root: int) -> tuple[int, int]:
    """(RSS, PSS) summed over ``root`` and all its descendants (Linux /proc). RSS counts the
    pack file's pages once per git process that maps it; PSS shares them out."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    rss = pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def _peak_tree(cmd: list[str], cwd: Path) -> tuple[int, int, float]:
    """(peak RSS and peak PSS of the whole process tree in KiB, its CPU seconds), one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss, pss = _tree_memory_kib(proc.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.02)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return peak_rss, peak_pss, cpu


def _machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                model,
            )
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}, {usable} usable CPUs, {platform.system()} {platform.release()}"


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--commits", type=int, nargs="*", default=[2000, 20000])
    parser.add_argument("--repo", action="append", default=[], help="a real repository too")
    parser.add_argument("--jobs", type=int, nargs="*", default=[], help="guard runs per N")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--log-p", action="store_true", help="also time git log -p --all")
    parser.add_argument(
        "--base", action="append", default=[], help="also this revision's guard (e.g. main)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as bases:
        _run(
            args,
            {rev: _extract(rev, Path(bases) / str(index)) for index, rev in enumerate(args.base)},
        )


def _extract(rev: str, where: Path) -> Path:
    """``src/`` of revision ``rev`` of this checkout, to run its guard beside this one's."""
    where.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "src"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    return where / "src"


def _run(args: argparse.Namespace, bases: dict[str, Path]) -> None:
    # Compiled once, as a pip install leaves it: PYTHONDONTWRITEBYTECODE made every run compile
    # the package again (~50 ms).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    package = importlib.util.find_spec("binance_guard")
    assert package is not None and package.submodule_search_locations
    subprocess.run(
        [
            *(sys.executable, "-m", "compileall", "-q"),
            *package.submodule_search_locations,
            *map(str, bases.values()),
        ],
        check=True,
    )
    # --allow-incomplete: a mirror missing a few objects (a partial clone) is still measured.
    guard = [sys.executable, "-m", "binance_guard", "history", "--format", "json"]
    guard += ["--no-progress", "--allow-incomplete"]
    floor_cmd = ["git", "cat-file", "--batch-all-objects", "--batch"]
    commands = {
        "git cat-file --batch-all-objects --batch (ordered floor)": floor_cmd,
        "... --unordered (unordered floor)": [*floor_cmd, "--unordered"],
    }
    if args.log_p:
        commands["git log -p --all"] = ["git", "log", "-p", "--all"]
    for jobs in args.jobs or [0]:
        name = f"binance-guard history --jobs {jobs}" if jobs else "binance-guard history"
        commands[name] = [*guard, *(["--jobs", str(jobs)] if jobs else []), "."]
    for rev, src in bases.items():
        commands[f"binance-guard history at {rev}"] = ["env", f"PYTHONPATH={src}", *guard, "."]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {_machine()}")
    print(f"Python {sys.version.split()[0]}, {subprocess.getoutput('git --version')}")
    for repo in [*map(build, args.commits), *map(Path, args.repo)]:
        size = _object_bytes(repo) / (1 << 20)
        load_before = _load()
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                samples[name].append(_time(cmd, repo))
        walls = {name: [wall for wall, _ in values] for name, values in samples.items()}
        cpus = {name: [cpu for _, cpu in values] for name, values in samples.items()}
        ordered = statistics.median(walls[next(iter(commands))])
        unordered = statistics.median(walls["... --unordered (unordered floor)"])
        unordered_cpu = statistics.median(cpus["... --unordered (unordered floor)"])
        print(f"\n{repo}: {size:.0f} MiB of objects, median of {args.runs} interleaved runs")
        print(f"load average before {load_before}, after {_load()}")
        print(
            f"{'command':<58} {'seconds':>8} {'MiB/s':>7} {'x ordered':>9} {'x unord.':>8}"
            f" {'CPU s':>6} {'CPU x unord.':>12}"
        )
        for name in commands:
            if any(map(math.isnan, walls[name])):
                print(f"{name:<58} failed (git log -p stops at the first missing object)")
                continue
            median, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
            print(
                f"{name:<58} {median:>8.2f} {size / median:>7.0f} "
                f"{median / ordered:>9.2f} {median / unordered:>8.2f}"
                f" {cpu:>6.2f} {cpu / unordered_cpu:>12.2f}"
            )
        for name, cmd in commands.items():
            if name.startswith("binance-guard"):
                rss, pss, cpu = _peak_tree(cmd, repo)
                print(
                    f"{name}: process tree peak memory {rss / 1024:.0f} MiB RSS "
                    f"({pss / 1024:.0f} MiB PSS), CPU {cpu:.1f} s"
                )


if __name__ == "__main__":
    main()
