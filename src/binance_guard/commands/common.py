"""What the scanning commands share: verification on request, and history range scans."""

from __future__ import annotations

import os
import sys

from binance_guard.errors import UsageError
from binance_guard.exit_codes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from binance_guard.finding import API_KEY
from binance_guard.policy import Policy
from binance_guard.report import Report

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Sequence

    from binance_guard.verify import Settings


def not_a_link_in(path: str, root: str) -> str:
    """``path`` to write, refused when it is a symbolic link inside the repository ``root``:
    a link there is the repository's content, not the user's choice (a pull request's
    ``binance-guard.sarif`` pointing at the runner's files would be written through)."""
    from binance_guard.sources.source import is_within

    if os.path.islink(path) and is_within(os.path.dirname(os.path.abspath(path)), root):
        raise UsageError(
            f"{path} is a symbolic link in the repository: not written through (a link "
            "there comes with the repository); remove it or write elsewhere"
        )
    return path


def read_option_file(path: str, option: str, limit: int) -> bytes:
    """The file an option names, whole: a pipe or ``<(...)`` as well as a file, but no more
    than ``limit`` bytes (/dev/zero, or a pipe that never ends, would fill the memory)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UsageError(f"{option} {path}: larger than {limit} bytes")
    return data


def verify_report(report: Report, settings: Settings) -> None:
    """Binance's answers on the report's findings. A key that could not be checked (network,
    deadline, back-off, a refused redirect) counts in ``report.incomplete`` like a file that
    could not be read, with the first failure in the notes."""
    # Only on request: no HTTP machinery is imported unless the user asked to verify.
    from binance_guard.verify import INCOMPLETE, unchecked
    from binance_guard.verify.client import Client
    from binance_guard.verify.verifier import verify_findings

    report.findings = verify_findings(report.findings, Client(settings))
    keys = {f.fingerprint: f.verification for f in report.findings if f.type == API_KEY}
    results = [v for v in keys.values() if v is not None]
    missed = unchecked(results)
    report.incomplete.update(missed)
    first = next((v for v in results if v.status in INCOMPLETE), None)
    if first is not None:
        report.notes.append(
            f"verification: {missed.total()} of {len(keys)} key(s) could not be checked "
            f"({first.status}: {first.message})"
        )


def outcome(report: Report, failing: bool, *, allow_incomplete: bool) -> int:
    """Exit code: a run that has not looked at everything (files, objects, keys it could not
    check) is not clean (2), unless the user accepts it; says on stderr what it missed."""
    if incomplete(report, allow=allow_incomplete):
        return EXIT_ERROR
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def scan_range(
    repo: str,
    revs: Sequence[str] | None,
    *,
    policy: Policy,
    max_bytes: int,
    progress_bar: bool = False,
    verify: Settings | None = None,
    jobs: int | None = None,
) -> Report:
    """History scan of ``revs`` (None: everything), verified if asked: history, ci, pre-push."""
    from binance_guard.history.scan import scan_history  # multiprocessing: only when needed

    bar = None
    if progress_bar and sys.stderr.isatty():  # not in logs, and rich (~40 ms) not imported
        from binance_guard.report import progress

        bar = progress.HistoryProgress()
    try:
        report = scan_history(repo, revs, policy, max_bytes, bar.update if bar else None, jobs=jobs)
    finally:
        if bar:
            bar.close()
    if verify is not None:
        verify_report(report, verify)
    return report


def incomplete(report: Report, *, allow: bool) -> bool:
    """Say on stderr what could not be read; True when that must fail the run (exit 2)."""
    if not report.incomplete:
        return False
    if allow:
        print(f"binance-guard: incomplete (accepted): {report.unread()}", file=sys.stderr)
        return False
    print(
        f"binance-guard: INCOMPLETE: {report.unread()}; not calling this clean (exit 2; "
        "--allow-incomplete accepts it)",
        file=sys.stderr,
    )
    return True
