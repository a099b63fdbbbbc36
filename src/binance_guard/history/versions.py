"""The versions of a file across a history share most of their lines: the prefilter's facts
of a new version (its key-shaped runs, whether it holds a private key's marker) are those of
an older one read already, but in the lines between the first and the last that differ.

Every fact is about one line (a run or a marker never holds a newline), so the lines both
versions start with and end with hold the same ones. python-binance's history is 811
versions of a few large files (client.py: 250-700 KB each, a few lines changed per commit):
looking at every byte of each cost more than git inflating them.
"""

from __future__ import annotations

from binance_guard.detection.prefilter import (
    candidate_runs,
    is_wide_candidate,
    key_markers,
    key_runs,
)

# Below this, a blob is looked at whole: finding what changed costs about what it saves (the
# synthetic histories' files of 20-60 KB, edited here and there, came out 40 % slower).
MIN_BYTES = 128 << 10
# A blob is taken for a version of the last one read that started with the same bytes.
HEAD = 64
# Kept per reader: freqtrade's whole process tree (two readers) stays under 400 MiB.
CACHE_BYTES = 8 << 20

# key_runs(data) and key_markers(data)
Facts = tuple[tuple[list[int], list[int]], tuple[bool, bool]]


class Versions:
    """The last version read of each file, by its first HEAD bytes; one holding a marker is
    not kept (where it is would have to be kept too, for a fact so rare)."""

    def __init__(self) -> None:
        self._bases: dict[bytes, tuple[bytes, tuple[list[int], list[int]]]] = {}
        self._bytes = 0

    def candidate_runs(
        self, data: bytes
    ) -> tuple[tuple[list[int], list[int]], tuple[bool, bool] | None] | None:
        """The prefilter's ``candidate_runs(data)``, with ``key_markers(data)`` where they
        were found (None where not: a small blob's, looked for only without runs)."""
        if len(data) < MIN_BYTES:
            runs = candidate_runs(data)
            return None if runs is None else (runs, None)
        runs, markers = self.facts(data)
        if any(runs) or any(markers) or is_wide_candidate(data):
            return runs, markers
        return None

    def facts(self, data: bytes) -> Facts:
        """``key_runs(data)`` and ``key_markers(data)``, found in the changed lines only when
        a version of the same file was read before."""
        if len(data) < MIN_BYTES:
            return key_runs(data), key_markers(data)
        head = data[:HEAD]
        known = self._bases.pop(head, None)
        if known is None:
            facts = key_runs(data), key_markers(data)
        else:
            base, (runs, encoded) = known
            self._bytes -= len(base)
            start, end = changed_lines(base, data)
            shift = len(base) - len(data)
            window = data[start:end]
            new_runs, new_encoded = key_runs(window)
            facts = (
                (
                    _moved(runs, start, end + shift, new_runs, shift),
                    _moved(encoded, start, end + shift, new_encoded, shift),
                ),
                key_markers(window),
            )
        if not any(facts[1]) and len(data) <= CACHE_BYTES:
            self._bases[head] = data, facts[0]  # last: the dict runs oldest first
            self._bytes += len(data)
            while self._bytes > CACHE_BYTES:
                oldest, _ = self._bases.pop(next(iter(self._bases)))
                self._bytes -= len(oldest)
        return facts


def changed_lines(base: bytes, data: bytes) -> tuple[int, int]:
    """The span of whole lines of ``data`` from the first to the last that differ from
    ``base``: before it, ``data`` is ``base``; after it (from a newline on), ``data`` is the
    end of ``base``. Compared by halves (memcmp), a few microseconds for a large file."""
    view = memoryview(data)
    same, most = 0, min(len(base), len(data))
    while same < most:
        half = (same + most + 1) // 2
        if base.startswith(view[same:half], same):
            same = half
        else:
            most = half - 1
    start = data.rfind(b"\n", 0, same) + 1
    tail, most = 0, min(len(base), len(data)) - same
    while tail < most:
        half = (tail + most + 1) // 2
        if base.startswith(view[len(data) - half : len(data) - tail], len(base) - half):
            tail = half
        else:
            most = half - 1
    end = data.find(b"\n", len(data) - tail)
    return start, len(data) if end == -1 else end


def _moved(old: list[int], start: int, old_end: int, new: list[int], shift: int) -> list[int]:
    """Offsets in a new version: those of the old one before the changed lines, those found in
    them (from ``start``), and those of the old one after them (``old_end`` there), moved."""
    return (
        [offset for offset in old if offset < start]
        + [start + offset for offset in new]
        + [offset - shift for offset in old if offset > old_end]
    )
