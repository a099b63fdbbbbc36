"""``binance-guard fleet``: many repositories, incrementally, on a Dask cluster."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING

from binance_guard.commands.common import outcome, read_option_file
from binance_guard.errors import UsageError
from binance_guard.finding import Verification
from binance_guard.policy import Policy
from binance_guard.report import Report
from binance_guard.report.sanitize import terminal
from binance_guard.verify import Settings

if TYPE_CHECKING:
    from distributed import Client

    from binance_guard.fleet.discovery import RepoSpec
    from binance_guard.fleet.run import FleetResult


MAX_LIST_FILE = 64 << 20  # --from: a line a repository


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "binance-guard", "fleet")


# The local cluster shares the machine with the work: no sampling profiler thread in each
# worker (100 stack samples a second), event-loop health checks every second instead of 50
# times. Idle, the client's loop and each worker then use half the CPU.
LOCAL_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def _connect(scheduler: str) -> Client:
    """A client of the cluster, within Dask's connect timeout (30 s unless configured):
    distributed's Client waits for the scheduler's handshake with no deadline, so one
    handshake goes first, with one (an endpoint that accepts and never answers hung)."""
    import asyncio

    import dask
    from dask.utils import parse_timedelta
    from distributed import Client
    from distributed.comm.core import connect

    seconds = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s")

    async def handshake() -> None:
        try:
            comm = await asyncio.wait_for(connect(scheduler, timeout=seconds), seconds)
        except TimeoutError:
            raise OSError(f"no answer within {seconds:g} s") from None
        await comm.close()

    asyncio.run(handshake())
    return Client(scheduler, timeout=seconds)


@contextlib.contextmanager
def cluster(scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """An existing cluster, or a local one sized to the machine for the command's lifetime."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "fleet runs on Dask, which is not installed: pip install "
            "'binance-guard[fleet] @ git+https://github.com/binance-guard/binance-guard' "
            "(in a checkout: pip install -e '.[fleet]')"
        ) from None
    if scheduler:
        from distributed.utils import silence_logging_cmgr

        # Failures are reported per repository, as the local cluster's: not as log lines
        # (a lost scheduler logged tracebacks).
        with silence_logging_cmgr(logging.CRITICAL):
            try:
                client = _connect(scheduler)
            # Not only OSError: a malformed address is a ValueError, and whatever else
            # answers there (an SSH banner, a web server) fails the handshake with any error.
            except Exception as exc:
                reason = str(exc) or type(exc).__name__
                raise UsageError(
                    f"--scheduler {scheduler}: cannot connect to a Dask scheduler: {reason}"
                ) from None
            with client:
                yield client
        return
    import dask

    with (
        dask.config.set(LOCAL_CONFIG),
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,  # scanning is Python: one thread per process
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # its HTTP routes, on loopback only
            silence_logs=logging.CRITICAL,  # failures are reported per repository
        ) as local,
        Client(local) as client,
    ):
        yield client


def _specs(
    repos: Sequence[str],
    from_file: str | None,
    github_org: str | None,
    github_api_url: str,
    forks: bool,
    archived: bool,
) -> list[RepoSpec]:
    from binance_guard.fleet import discovery

    arguments = list(repos)
    if from_file:
        text = read_option_file(from_file, "--from", MAX_LIST_FILE)
        arguments += discovery.read_list(text, from_file)
    specs = discovery.expand(arguments)
    if github_org:
        token = os.environ.get(discovery.TOKEN_ENV)
        specs += discovery.github_org(github_org, github_api_url, token, forks, archived)
    if not specs:
        raise UsageError(
            "no repositories: give REPO (path or URL), --from FILE or --github-org NAME"
        )
    return discovery.unique(specs)


def _verify(result: FleetResult, settings: Settings) -> dict[str, Verification]:
    """Each distinct key once for the whole fleet (the client's limits apply); the server's
    words masked as every report's are (a hostile API may quote the key back)."""
    from binance_guard.commands.common import verify_report
    from binance_guard.report.redact import mask

    everything = Report(findings=[f for outcome in result.repos for f in outcome.credentials])
    verify_report(everything, settings)
    everything = mask(everything, [f.secret for f in everything.findings])
    for note in everything.notes:
        print(f"note: {terminal(note)}", file=sys.stderr)
    return {f.fingerprint: f.verification for f in everything.findings if f.verification}


def run(
    repos: Sequence[str],
    *,
    from_file: str | None,
    github_org: str | None,
    github_api_url: str,
    skip_forks: bool,
    skip_archived: bool,
    cache_dir: str | None,
    scheduler: str | None,
    workers: int | None,
    policy: Policy,
    max_bytes: int,
    fmt: str,
    output: str | None,
    progress_bar: bool,
    verify: Settings | None,
    allow_incomplete: bool,
) -> int:
    with _output(output) if output else contextlib.nullcontext(sys.stdout) as out:
        return _run(
            out,
            _specs(repos, from_file, github_org, github_api_url, not skip_forks, not skip_archived),
            cache_dir=cache_dir,
            scheduler=scheduler,
            workers=workers,
            policy=policy,
            max_bytes=max_bytes,
            fmt=fmt,
            progress_bar=progress_bar,
            verify=verify,
            allow_incomplete=allow_incomplete,
        )


def _output(path: str) -> IO[str]:
    """--output, opened before the run (which may take hours) and emptied only when the
    report is ready: a path that cannot be written is an error at once, where it failed at
    the end and a second run called the first's new findings unchanged."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
    except OSError as exc:
        raise UsageError(f"--output {path}: {exc.strerror or exc}") from None
    return open(fd, "w", encoding="utf-8", errors="surrogateescape")


def _run(
    out: IO[str],
    specs: list[RepoSpec],
    *,
    cache_dir: str | None,
    scheduler: str | None,
    workers: int | None,
    policy: Policy,
    max_bytes: int,
    fmt: str,
    progress_bar: bool,
    verify: Settings | None,
    allow_incomplete: bool,
) -> int:
    from binance_guard.fleet import report
    from binance_guard.fleet.run import run as run_fleet
    from binance_guard.fleet.store import exclusive

    cache = os.path.abspath(cache_dir or default_cache_dir())
    try:
        os.makedirs(cache, mode=0o700, exist_ok=True)
    except FileExistsError:  # said before any cluster starts
        raise UsageError(f"--cache-dir {cache}: not a directory") from None
    except OSError as exc:
        raise UsageError(f"--cache-dir {cache}: {exc.strerror or exc}") from None
    bar = None
    if progress_bar and sys.stderr.isatty():
        from binance_guard.report.progress import FleetProgress

        bar = FleetProgress(len(specs))
    try:
        # Refused before any cluster starts.
        with exclusive(cache), cluster(scheduler, workers) as client:
            result = run_fleet(
                client,
                specs,
                cache,
                policy,
                max_bytes,
                bar.update if bar else None,
                verify=verify is not None,
            )
    finally:
        if bar:
            bar.close()
    verifications = _verify(result, verify) if verify is not None else {}
    if fmt == "json":
        text = report.render_json(result, verifications)
    elif fmt == "sarif":
        text = report.render_sarif(result, verifications)
    elif fmt == "html":
        from binance_guard.report import html as html_report

        text = html_report.render(result, verifications)
    else:
        text = report.render_text(result, verifications)
    if out is not sys.stdout:
        out.truncate(0)
    out.write(text)
    found = report.findings(result, verifications)
    live = [f for f in found if f["status"] != "gone" and not f.get("public_example")]
    missed = Report(incomplete=report.incomplete(result, verifications))
    return outcome(missed, bool(live), allow_incomplete=allow_incomplete)
