"""fleet against running ``history`` on each repository one by one, measured in the same run.

    python bench/fleet.py [--bases 100] [--commits 30] [--files 8] [--runs 3]

Builds a synthetic fleet with ``git fast-import`` (cached in bench/.cache): ``--bases``
repositories and a fork of each (one commit of its own), a few with generated fake keys.
Then, medians over ``--runs``:

- the floor: ``scan_history`` on every repository one by one (in process, no start-up cost);
- a cold fleet run (empty cache: mirrors cloned, every unique blob scanned) on a local
  cluster of 2 workers, and the blobs it scanned against the fleet's unique blobs;
- the same fleet again, unchanged, as a fraction of the cold run (goal <= 5 %);
- scanning from existing mirrors with an empty state store on 1 and on 2 workers:
  throughput ratio (goal >= 1.6x on 2 cores);
- the CPU seconds of the client (its main thread apart from the scheduler and the
  communication threads) and of the workers (apart from the git they ran) in those two runs,
  and the bound they put on the throughput ratio: 2 workers' run cannot take less than all
  its CPU seconds over 2 CPUs, 1 worker's takes about its worker's CPU seconds;
- peak RSS of this (client) process and of each worker;
- what one no-op Dask task costs on this machine (scheduling, two process hops).

Cluster start-up is timed apart from the runs. No assertions.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from binance_guard.commands.fleet import cluster
from binance_guard.fleet import discovery
from binance_guard.fleet.run import STORE_NAME, FleetResult
from binance_guard.fleet.run import run as run_fleet
from binance_guard.history.scan import scan_history
from binance_guard.policy import Policy
from binance_guard.sources.source import DEFAULT_MAX_BYTES
from testing import synthetic
from testing.keys import fake_key

CACHE = Path(__file__).resolve().parent / ".cache"


def build(bases: int, commits: int, files: int) -> Path:
    root = CACHE / f"fleet-{bases}-{commits}-{files}"
    if (root / "done").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for index in range(bases):
        keys = {}
        if index % 10 == 0:  # one base in ten leaked a key (inherited by its fork)
            keys = {commits // 2: f"BINANCE_API_KEY={fake_key(f'bench-fleet-{index}')}\n"}
        name = f"b{index:03}"
        base = synthetic.repository(root / f"{name}.git", name, commits, files, keys)
        synthetic.fork(base, root / f"f{index:03}.git", f"f{index:03}")
    (root / "done").touch()
    return root


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def worker_cpu() -> tuple[float, float]:
    """A worker's CPU seconds and its finished children's: the git it ran."""
    return cpu_seconds(), cpu_seconds(resource.RUSAGE_CHILDREN)


@dataclasses.dataclass
class Cpu:
    """CPU seconds of one run."""

    client_main: float  # the thread that runs fleet.run: the store, planning, results
    client_rest: float  # the scheduler, communication, the nannies
    workers: float  # the workers' processes (tasks, their event loops)
    git: float  # the git the workers ran

    def busy(self, seconds: float) -> float:
        return (self.client_main + self.client_rest + self.workers + self.git) / seconds


def fleet_run(
    specs: list[discovery.RepoSpec], cache: Path, workers: int
) -> tuple[float, float, FleetResult, list[int], Cpu]:
    """(cluster start seconds, run seconds, result, peak RSS KiB of each worker, CPU)."""
    started = time.perf_counter()
    with cluster(None, workers) as client:
        ready = time.perf_counter()
        before: dict[str, tuple[float, float]] = client.run(worker_cpu)
        client_before, main_before = cpu_seconds(), time.thread_time()
        result = run_fleet(client, specs, str(cache), Policy(), DEFAULT_MAX_BYTES)
        elapsed = time.perf_counter() - ready
        main = time.thread_time() - main_before
        client_cpu = cpu_seconds() - client_before
        after: dict[str, tuple[float, float]] = client.run(worker_cpu)
        usage: dict[str, Any] = client.run(resource.getrusage, resource.RUSAGE_SELF)
    assert not result.incomplete, [r.error for r in result.incomplete]
    cpu = Cpu(
        main,
        client_cpu - main,
        sum(after[w][0] - before[w][0] for w in after),
        sum(after[w][1] - before[w][1] for w in after),
    )
    return ready - started, elapsed, result, sorted(u.ru_maxrss for u in usage.values()), cpu


def task_overhead(workers: int, count: int = 600) -> float:
    """Seconds per no-op Dask task on a fresh local cluster: the price of each task here."""
    from distributed import as_completed

    with cluster(None, workers) as client:
        started = time.perf_counter()
        for future in as_completed([client.submit(int, i, pure=False) for i in range(count)]):
            future.result()
        return (time.perf_counter() - started) / count


def history_sum(repos: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    blobs = 0
    for repo in repos:
        blobs += scan_history(str(repo), None, Policy(), DEFAULT_MAX_BYTES).blobs
    return time.perf_counter() - started, blobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bases", type=int, default=100)
    parser.add_argument("--commits", type=int, default=30)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    root = build(args.bases, args.commits, args.files)
    repos = sorted(p for p in root.iterdir() if p.suffix == ".git")
    specs = discovery.expand([str(p) for p in repos])
    work = CACHE / "fleet-work"
    cold: list[float] = []
    warm: list[float] = []
    one: list[float] = []
    two: list[float] = []
    starts: list[float] = []
    history: list[float] = []
    scanned = unique = 0
    workers_rss: list[int] = []
    cpu: dict[int, list[Cpu]] = {1: [], 2: []}
    loads = [os.getloadavg()[0]]
    for run in range(args.runs):
        shutil.rmtree(work, ignore_errors=True)
        start, seconds, result, rss, _ = fleet_run(specs, work, 2)
        cold.append(seconds)
        starts.append(start)
        scanned, unique = result.blobs_scanned, result.unique_blobs
        workers_rss = [max(a, b) for a, b in zip(workers_rss or rss, rss, strict=True)]
        _, seconds, result, rss, _ = fleet_run(specs, work, 2)
        assert result.blobs_scanned == 0
        warm.append(seconds)
        for count, times in ((1, one), (2, two)):
            os.unlink(work / STORE_NAME)  # the mirrors stay: scanning only
            _, seconds, result, _, spent = fleet_run(specs, work, count)
            times.append(seconds)
            cpu[count].append(spent)
        loads.append(os.getloadavg()[0])
        seconds, history_blobs = history_sum(repos)
        history.append(seconds)
        print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    overhead = task_overhead(2)
    client_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    med = statistics.median
    print(
        f"fleet: {len(repos)} repositories ({args.bases} bases + {args.bases} forks), "
        f"{unique} unique blobs; medians of {args.runs} runs on {os.cpu_count()} CPUs"
    )
    print(
        f"  floor: history one by one (in process)   {med(history):8.2f} s  "
        f"({history_blobs} blobs scanned)"
    )
    print(
        f"  fleet, cold (mirrors + scan), 2 workers  {med(cold):8.2f} s  "
        f"{med(cold) / med(history):.2f}x the floor"
    )
    print(
        f"  blobs scanned / unique blobs             {scanned} / {unique}  "
        f"({'equal' if scanned == unique else 'NOT EQUAL'})"
    )
    print(
        f"  fleet, unchanged second run              {med(warm):8.2f} s  "
        f"{100 * med(warm) / med(cold):.1f}% of the cold run (goal <= 5%)"
    )
    print(f"  scan from mirrors, 1 worker              {med(one):8.2f} s")
    print(
        f"  scan from mirrors, 2 workers             {med(two):8.2f} s  "
        f"{med(one) / med(two):.2f}x throughput (goal >= 1.6x)"
    )
    for count, times in ((1, one), (2, two)):
        used = cpu[count]
        busy = med(c.busy(t) for c, t in zip(used, times, strict=True))
        print(
            f"    CPU with {count} worker(s): client {med(c.client_main for c in used):.2f} s "
            f"(+ scheduler and communication {med(c.client_rest for c in used):.2f} s), "
            f"workers {med(c.workers for c in used):.2f} s + their git "
            f"{med(c.git for c in used):.2f} s = {busy:.2f} CPUs busy"
        )
    one_worker = med(c.workers + c.git for c in cpu[1])
    two_workers = med(c.client_main + c.client_rest + c.workers + c.git for c in cpu[2]) / 2
    print(
        f"    from CPU alone (whatever the load): 2 workers' run needs at least "
        f"{two_workers:.2f} s of 2 CPUs, 1 worker's about {one_worker:.2f} s (its git and its "
        f"Python take turns): at most {one_worker / two_workers:.2f}x"
    )
    print(
        f"  one no-op Dask task, 2 workers           {overhead * 1000:8.1f} ms "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        f"  load average (1 min) at the start and after each run: "
        f"{', '.join(f'{load:.1f}' for load in loads)}"
    )
    print(f"  local cluster start                      {med(starts):8.2f} s (not in the above)")
    print(
        f"  peak RSS: client {client_rss / 1024:.0f} MiB (includes the floor's runs), "
        f"workers {', '.join(f'{r / 1024:.0f}' for r in workers_rss)} MiB"
    )


if __name__ == "__main__":
    main()
