"""Progress bars on stderr for long history and fleet scans, only when stderr is a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from binance_guard.fleet.run import FleetResult


def _bar(*columns: TextColumn) -> Progress:
    """On stderr: rich's default console is stdout, where the report goes (``> report.json``)."""
    return Progress(
        *columns[:1],
        BarColumn(),
        MofNCompleteColumn(),
        *columns[1:],
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


class HistoryProgress:
    def __init__(self) -> None:
        self._progress = _bar(
            TextColumn("scanning history"),
            TextColumn("blobs, {task.fields[mib]:.0f} MiB at {task.fields[rate]:.0f} MiB/s"),
        )
        self._task: TaskID = self._progress.add_task("history", total=None, mib=0.0, rate=0.0)
        self._progress.start()

    def update(self, blobs: int, size: int, total: int) -> None:
        elapsed = self._progress.tasks[0].elapsed or 0.0
        mib = size / (1 << 20)
        self._progress.update(
            self._task,
            completed=blobs,
            total=total,
            mib=mib,
            rate=mib / elapsed if elapsed else 0.0,
        )

    def close(self) -> None:
        self._progress.stop()


class FleetProgress:
    """Repositories done/total, blobs, bytes, rate, ETA and findings so far (stderr)."""

    def __init__(self, repos: int) -> None:
        self._progress = _bar(
            TextColumn("fleet"),
            TextColumn(
                "repos, {task.fields[blobs]} blobs, {task.fields[mib]:.0f} MiB at "
                "{task.fields[rate]:.1f} MiB/s, {task.fields[found]} findings"
            ),
        )
        self._task = self._progress.add_task(
            "fleet", total=repos, blobs=0, mib=0.0, rate=0.0, found=0
        )
        self._progress.start()

    def update(self, result: FleetResult) -> None:
        elapsed = self._progress.tasks[0].elapsed or 0.0
        mib = result.bytes_scanned / (1 << 20)
        self._progress.update(
            self._task,
            completed=sum(r.status != "pending" for r in result.repos),
            blobs=result.blobs_scanned,
            mib=mib,
            rate=mib / elapsed if elapsed else 0.0,
            found=sum(len(r.records) for r in result.repos),
        )

    def close(self) -> None:
        self._progress.stop()
