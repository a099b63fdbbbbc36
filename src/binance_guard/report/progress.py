"""A progress bar on stderr for long history scans, only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from binance_guard.sources import git


class HistoryProgress:
    def __init__(self, total_objects: int | None) -> None:
        self._progress = Progress(
            TextColumn("scanning history"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("objects, {task.fields[mib]:.0f} MiB at {task.fields[rate]:.0f} MiB/s"),
            TimeRemainingColumn(),
            transient=True,
        )
        self._task: TaskID = self._progress.add_task(
            "history", total=total_objects, mib=0.0, rate=0.0
        )
        self._progress.start()

    def update(self, objects: int, size: int) -> None:
        elapsed = self._progress.tasks[0].elapsed or 0.0
        mib = size / (1 << 20)
        self._progress.update(
            self._task, completed=objects, mib=mib, rate=mib / elapsed if elapsed else 0.0
        )

    def close(self) -> None:
        self._progress.stop()


def _object_count(repo: str) -> int | None:
    try:
        out = git.run(["count-objects", "-v"], cwd=repo).decode()
    except git.GitError:
        return None
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return int(fields.get("count", 0)) + int(fields.get("in-pack", 0))


def for_history(repo: str, revs: Sequence[str] | None) -> HistoryProgress | None:
    if not sys.stderr.isatty():
        return None
    return HistoryProgress(_object_count(repo) if revs is None else None)
