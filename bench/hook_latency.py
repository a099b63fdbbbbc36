"""Commit-hook latency against a floor measured in the same run.

    python bench/hook_latency.py [--runs 30] [--base PYTHON]

Builds a temporary repository with some history (an initial import and a few commits that each
touch two or three files) and stages a realistic 10-file change: eight files of mixed languages
edited (lines changed, a block inserted, lines deleted) and two added, 50-300 lines each. The
"clean" case holds no key; the "key" case is the same change with one Python file calling
python-binance's ``Client("<api key>", "<secret>")`` with generated fake keys; the "toml" case
is the "key" case in a repository with a ``.binance-guard.toml`` (exclusions and an allowlist
that do not apply: the commit is still blocked, after the settings are read).

Then times, interleaved (every round runs every command, in a shuffled order) so that machine
noise hits them alike:

- ``python -c pass`` with the same interpreter: the floor (Python's start-up);
- the git call of the hook's clean path alone (``git diff --cached -U0 ...``, same arguments);
- ``binance-guard hook <files>``: the console script pip writes (its wrapper imports ``re``);
- ``python -m binance_guard hook <files>``: the module form (runpy);
- ``python -P -c "...; main()" hook <files>``: the entry of .pre-commit-hooks.yaml, the same
  ``main()`` started without runpy or ``re``.

``--base PYTHON``: the same three hook commands with the interpreter (and console script) of
another install, e.g. of the code before a change, interleaved in the same run.

The hook commands get the ten staged files as arguments and run from the repository's top, as
pre-commit runs them. Bytecode is cached (in the temp directory) even under
PYTHONDONTWRITEBYTECODE, as in a pip-installed hook environment. Prints medians and ratios to
the floor of wall time and of CPU time (user + system of the command and the git it waits for:
on a shared machine the steadier of the two), the exit code of each hook command and whether the
hook left its clean path. POSIX only (os.wait4).
No assertions: exit code 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binance_guard.sources.staged import PATCH_ARGS
from testing.keys import fake_key

WORDS = (
    "order", "price", "symbol", "client", "depth", "ticker", "balance", "retry", "stream",
    "market", "limit", "spread", "fill", "position", "margin", "candle", "volume", "signal",
)  # fmt: skip


def _ident(rng: random.Random, sep: str = "_") -> str:
    return sep.join(rng.sample(WORDS, 2))


def _camel(rng: random.Random) -> str:
    a, b = rng.sample(WORDS, 2)
    return a + b.capitalize()


def _py(rng: random.Random) -> str:
    name, arg = _ident(rng), rng.choice(WORDS)
    return (
        f"def {name}({arg}: float, window: int = {rng.randrange(5, 200)}) -> float:\n"
        f'    """Rolling {rng.choice(WORDS)} of the {arg} over ``window`` samples."""\n'
        f"    if window <= 0:\n"
        f'        raise ValueError("window must be positive")\n'
        f"    total = {arg} * {rng.random():.4f}\n"
        f"    for step in range(window):\n"
        f"        total += math.log1p(abs({arg} - step)) / window\n"
        f'    logger.debug("{name} %s -> %s", {arg}, total)\n'
        f"    return round(total, {rng.randrange(2, 9)})\n\n\n"
    )


def _js(rng: random.Random) -> str:
    name, arg = _camel(rng), rng.choice(WORDS)
    return (
        f"export async function {name}({arg}, options = {{}}) {{\n"
        f"  const url = `${{BASE_URL}}/api/v3/{rng.choice(WORDS)}?symbol=${{{arg}}}`;\n"
        f"  const response = await fetch(url, {{ ...DEFAULTS, ...options }});\n"
        f"  if (!response.ok) {{\n"
        f"    throw new Error(`{name} failed: ${{response.status}}`);\n"
        f"  }}\n"
        f"  const body = await response.json();\n"
        f"  return body.filter((row) => row.{rng.choice(WORDS)} > {rng.randrange(100)});\n"
        f"}}\n\n"
    )


def _ts(rng: random.Random) -> str:
    name, kind = _camel(rng), rng.choice(WORDS).capitalize()
    return (
        f"export interface {kind}{rng.randrange(100)} {{\n"
        f"  symbol: string;\n"
        f"  {rng.choice(WORDS)}: number;\n"
        f"  updatedAt: Date;\n"
        f"}}\n\n"
        f"export function {name}(rows: ReadonlyArray<number>, limit = {rng.randrange(5, 50)})"
        f": number {{\n"
        f"  return rows.slice(0, limit).reduce((acc, value) => acc + value, 0) / limit;\n"
        f"}}\n\n"
    )


def _go(rng: random.Random) -> str:
    name, arg = _camel(rng).capitalize(), rng.choice(WORDS)
    return (
        f"// {name} returns the {rng.choice(WORDS)} for one {arg}.\n"
        f"func (s *Service) {name}(ctx context.Context, {arg} string) (float64, error) {{\n"
        f'\tresp, err := s.client.Get(ctx, "/api/v3/{rng.choice(WORDS)}", {arg})\n'
        f"\tif err != nil {{\n"
        f'\t\treturn 0, fmt.Errorf("{name}: %w", err)\n'
        f"\t}}\n"
        f"\tdefer resp.Body.Close()\n"
        f"\treturn parseFloat(resp, {rng.randrange(1, 9)})\n"
        f"}}\n\n"
    )


def _java(rng: random.Random) -> str:
    name, arg = _camel(rng), rng.choice(WORDS)
    return (
        f"    public Optional<BigDecimal> {name}(String {arg}) {{\n"
        f"        if ({arg} == null || {arg}.isEmpty()) {{\n"
        f"            return Optional.empty();\n"
        f"        }}\n"
        f"        BigDecimal value = repository.find{arg.capitalize()}({arg});\n"
        f'        log.info("{name} {{}} -> {{}}", {arg}, value);\n'
        f"        return Optional.ofNullable(value).map(v -> v.setScale({rng.randrange(2, 9)}));\n"
        f"    }}\n\n"
    )


def _yaml(rng: random.Random) -> str:
    name = _ident(rng, "-")
    return (
        f"  {name}:\n"
        f"    enabled: {rng.choice(['true', 'false'])}\n"
        f"    interval: {rng.randrange(1, 60)}s\n"
        f"    symbols: [BTCUSDT, ETHUSDT, {rng.choice(['BNBUSDT', 'SOLUSDT', 'XRPUSDT'])}]\n"
        f"    {rng.choice(WORDS)}_threshold: {rng.random():.3f}\n"
    )


def _json(rng: random.Random) -> str:
    name = _ident(rng, "-")
    return (
        f'    "{name}": {{\n'
        f'      "version": "^{rng.randrange(1, 9)}.{rng.randrange(20)}.{rng.randrange(10)}",\n'
        f'      "enabled": {rng.choice(["true", "false"])},\n'
        f'      "retries": {rng.randrange(10)}\n'
        f"    }},\n"
    )


def _md(rng: random.Random) -> str:
    a, b = rng.sample(WORDS, 2)
    return (
        f"## {a.capitalize()} and {b}\n\n"
        f"The bot reads the {a} stream and keeps the last {rng.randrange(10, 500)} {b} values\n"
        f"in memory. Set `{a.upper()}_{b.upper()}` in the environment to change it, then\n"
        f"restart the service with `make restart`.\n\n"
    )


def _toml(rng: random.Random) -> str:
    return (
        f"[{_ident(rng, '.')}]\n"
        f"enabled = {rng.choice(['true', 'false'])}\n"
        f'mode = "{rng.choice(WORDS)}"\n'
        f"max_{rng.choice(WORDS)} = {rng.randrange(1000)}\n\n"
    )


def _sh(rng: random.Random) -> str:
    name = _ident(rng)
    return (
        f"{name}() {{\n"
        f'  local target="${{1:-{rng.choice(WORDS)}}}"\n'
        f'  echo "deploying $target ({rng.randrange(100)})" >&2\n'
        f'  rsync -az --delete "build/$target/" "$HOST:/srv/$target/" || return 1\n'
        f"}}\n\n"
    )


HEADERS = {
    "py": '"""Trading bot module."""\n\nimport logging\nimport math\n\n'
    "logger = logging.getLogger(__name__)\n\n\n",
    "js": 'import { BASE_URL, DEFAULTS } from "./config.js";\n\n',
    "ts": "// Generated types and helpers for the dashboard.\n\n",
    "go": 'package feed\n\nimport (\n\t"context"\n\t"fmt"\n)\n\n',
    "java": "package com.example.bot;\n\nimport java.math.BigDecimal;\nimport java.util.Optional;"
    "\n\npublic class OrderService {\n\n",
    "yaml": "# Bot settings\nversion: 3\njobs:\n",
    "json": '{\n  "name": "dashboard",\n  "private": true,\n  "dependencies": {\n',
    "md": "# Setup\n\nHow to run the bot locally and in production.\n\n",
    "toml": '[project]\nname = "bot"\nversion = "0.4.0"\n\n',
    "sh": "#!/usr/bin/env bash\nset -euo pipefail\n\n",
}
FOOTERS = {"java": "}\n", "json": '    "end": {}\n  }\n}\n'}
BLOCKS: Mapping[str, Callable[[random.Random], str]] = {
    "py": _py, "js": _js, "ts": _ts, "go": _go, "java": _java,
    "yaml": _yaml, "json": _json, "md": _md, "toml": _toml, "sh": _sh,
}  # fmt: skip

# The staged change: eight edited files, two added ones.
EDITED = (
    "bot/trader.py",
    "web/src/api.js",
    "web/src/chart.ts",
    "services/feed/feed.go",
    "android/app/src/main/java/com/example/bot/OrderService.java",
    "config/settings.yaml",
    "web/package.json",
    "scripts/deploy.sh",
)
ADDED = ("bot/risk.py", "docs/setup.md")
# Committed in the history but not part of the staged change.
OTHERS = ("bot/__init__.py", "bot/strategy.py", "web/src/index.js", "pyproject.toml", "README.md")
KEY_FILE = "bot/trader.py"
FLOOR = "python -c pass (floor)"
Samples = dict[tuple[str, str], list[float]]
DIRECT_MAIN = "import sys; from binance_guard.cli import main; sys.exit(main())"


def _ext(name: str) -> str:
    return name.rsplit(".", 1)[1]


def _blocks(rng: random.Random, ext: str, lines: int) -> list[str]:
    out, count = [], 0
    while count < lines:
        block = BLOCKS[ext](rng)
        out.append(block)
        count += block.count("\n")
    return out


def _file(rng: random.Random, name: str) -> list[str]:
    """A file as a list of blocks, 50-300 lines in all; header and footer are blocks too."""
    ext = _ext(name)
    return [HEADERS[ext], *_blocks(rng, ext, rng.randint(50, 300)), FOOTERS.get(ext, "")]


def _edit(rng: random.Random, name: str, blocks: list[str]) -> list[str]:
    """A realistic edit: a few lines changed, one block inserted, one block deleted."""
    body = blocks[1:-1]
    for _ in range(3):
        i = rng.randrange(len(body))
        lines = body[i].split("\n")
        j = rng.randrange(len(lines))
        lines[j] = lines[j].replace(rng.choice(WORDS), rng.choice(WORDS))
        body[i] = "\n".join(lines)
    body.insert(rng.randrange(len(body) + 1), BLOCKS[_ext(name)](rng))
    if len(body) > 3:
        del body[rng.randrange(len(body))]
    return [blocks[0], *body, blocks[-1]]


def _git(repo: Path, env: Mapping[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.DEVNULL)


def _write(repo: Path, files: Mapping[str, list[str]]) -> None:
    for name, blocks in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(blocks))


KEY_BLOCK = (
    "from binance.client import Client\n\n"
    'client = Client("{key}", "{secret}")\n'
    'ticker = client.get_symbol_ticker(symbol="BTCUSDT")\n\n\n'
)


SETTINGS = """\
min_confidence = "medium"
exclude_paths = ["^vendor/", '\\.min\\.js$']  # literal string: no escapes

[allowlist]
paths = ["^tests/fixtures/"]
regexes = ["EXAMPLE_[A-Z_]+"]
"""


def build(repo: Path, env: Mapping[str, str], with_key: bool, settings: bool = False) -> list[str]:
    """Create the repository and stage the change; return the staged file names."""
    rng = random.Random(20240601)  # same history and change for every case
    repo.mkdir(parents=True)
    _git(repo, env, "init", "-q", "-b", "main")
    files = {name: _file(rng, name) for name in (*EDITED, *OTHERS)}
    _write(repo, files)
    if settings:
        (repo / ".binance-guard.toml").write_text(SETTINGS)
    _git(repo, env, "add", "-A")
    _git(repo, env, "commit", "-q", "--no-verify", "-m", "import the bot")
    for n in range(8):
        touched = rng.sample(sorted(files), rng.randint(2, 3))
        for name in touched:
            files[name] = _edit(rng, name, files[name])
        _write(repo, {name: files[name] for name in touched})
        _git(repo, env, "add", "-A")
        _git(repo, env, "commit", "-q", "--no-verify", "-m", f"change {n}")
    staged = {name: _edit(rng, name, files[name]) for name in EDITED}
    staged.update({name: _file(rng, name) for name in ADDED})
    if with_key:
        blocks = staged[KEY_FILE]
        blocks.insert(len(blocks) // 2, KEY_BLOCK.format(key=fake_key(1), secret=fake_key(2)))
    _write(repo, staged)
    _git(repo, env, "add", "--", *staged)
    return [*EDITED, *ADDED]


def _time(cmd: list[str], cwd: Path, env: Mapping[str, str]) -> tuple[float, float]:
    """Wall time, and CPU time (user + system) of the command with the git it waited for, in
    ms: on a shared machine the CPU time is the steadier of the two."""
    start = time.perf_counter_ns()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped by wait4
    wall = (time.perf_counter_ns() - start) / 1e6
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def _outcome(cmd: list[str], cwd: Path, env: Mapping[str, str]) -> str:
    """Exit code, and whether the hook left its clean path (imported binance_guard.commands)."""
    traced = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(cmd, cwd=cwd, env=traced, capture_output=True, text=True, check=False)
    path = "full path" if "binance_guard.commands" in proc.stderr else "clean path"
    return f"exit {proc.returncode}, {path}"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            return next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                "",
            )
    except OSError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--base", metavar="PYTHON", help="interpreter of another install")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            # Cached bytecode, as a pip-installed hook has: an editable install under
            # PYTHONDONTWRITEBYTECODE would compile the hook's modules on every run (~2-3 ms).
            "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache"),
            "HOME": tmp,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Bench",
            "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "Bench",
            "GIT_COMMITTER_EMAIL": "bench@example.com",
        }
        repos = {case: Path(tmp) / case for case in ("clean", "key", "toml")}
        names = build(repos["clean"], env, with_key=False)
        build(repos["key"], env, with_key=True)  # the same history and file names
        build(repos["toml"], env, with_key=True, settings=True)
        rows = {
            FLOOR: [sys.executable, "-c", "pass"],
            "git diff --cached -U0 ... (the clean path's git)": [
                "git", "-c", "core.quotePath=false", *PATCH_ARGS,
            ],
            **_hook_rows(sys.executable, names, ""),
            **(_hook_rows(args.base, names, " (base)") if args.base else {}),
        }  # fmt: skip
        jobs = [(row, case) for row in rows for case in repos]
        samples: Samples = {job: [] for job in jobs}
        cpu: Samples = {job: [] for job in jobs}
        outcomes = {job: _outcome(rows[job[0]], repos[job[1]], env) for job in jobs}
        for _ in range(args.warmup):
            for row, case in jobs:
                _time(rows[row], repos[case], env)
        order = random.Random(0)
        for _ in range(args.runs):
            order.shuffle(jobs)
            for row, case in jobs:
                wall, used = _time(rows[row], repos[case], env)
                samples[row, case].append(wall)
                cpu[row, case].append(used)
        staged_lines = sum(len((repos["clean"] / name).read_text().splitlines()) for name in names)
    floor_values = [v for case in repos for v in samples[FLOOR, case]]
    floor = statistics.median(floor_values)
    print(
        f"hook latency: median of {args.runs} interleaved runs (+{args.warmup} warm-up), "
        f"{sys.executable} (Python {sys.version.split()[0]})"
    )
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{_cpu_model() or platform.machine()}, {os.cpu_count()} CPUs; load average at the end "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    print(f"staged: {len(names)} files, {staged_lines} lines (8 edited, 2 added)")
    print("bytecode: cached (PYTHONPYCACHEPREFIX in the temp dir, filled by the warm-up)\n")
    print("wall time:")
    _table(rows, list(repos), samples)
    print("\nCPU time (user + system, the command and the git it ran):")
    _table(rows, list(repos), cpu)
    print()
    for row in list(rows)[2:]:
        for case in repos:
            values = sorted(samples[row, case])
            extra = statistics.median(values) - floor
            print(
                f"{row} [{case}]: {outcomes[row, case]}; +{extra:.1f} ms over the floor; "
                f"min {values[0]:.1f}, max {values[-1]:.1f}"
            )
    quartiles = statistics.quantiles(floor_values, n=4)
    print(f"floor quartiles: {quartiles[0]:.1f} / {quartiles[1]:.1f} / {quartiles[2]:.1f} ms")


def _hook_rows(python: str, names: list[str], label: str) -> dict[str, list[str]]:
    """The hook as pre-commit, a user and pip's wrapper start it, with ``python``'s install."""
    script = str(Path(python).parent / "binance-guard")
    return {
        f"binance-guard hook FILES (console script){label}": [script, "hook", *names],
        f"python -m binance_guard hook FILES{label}": [
            python, "-m", "binance_guard", "hook", *names,
        ],
        # The pre-commit entry: main() without runpy (-m) or re (pip's wrapper).
        f"python -P -c 'import ...; main()' hook FILES (pre-commit entry){label}": [
            python, "-P", "-c", DIRECT_MAIN, "hook", *names,
        ],
    }  # fmt: skip


def _table(rows: Mapping[str, list[str]], cases: list[str], samples: Samples) -> None:
    """Medians per command and case, and their ratio to the floor's."""
    # the floor does not depend on the case: one median over every column's samples
    floor = statistics.median(v for case in cases for v in samples[FLOOR, case])
    width = max(map(len, rows))
    heads = "  ".join(f"{case + ' ms':>8} {'x floor':>7}" for case in cases)
    print(f"{'command':<{width}}  {heads}")
    for row in rows:
        cells = []
        for case in cases:
            median = floor if row == FLOOR else statistics.median(samples[row, case])
            cells.append(f"{median:>8.1f} {median / floor:>7.2f}")
        print(f"{row:<{width}}  {'  '.join(cells)}")


if __name__ == "__main__":
    main()
