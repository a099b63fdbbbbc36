"""Entry point of ``binance-guard``.

Exit codes: 0 clean, 1 findings, 2 usage or runtime error. ``hook`` first tries the clean
path (one ``git diff`` and a byte scan, nothing but ``os`` imported) and only loads the
scanner and the text report when a staged line could hold a key (argparse only for options
with values), with git already looking up what the scan needs next.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the hook's clean path must not import typing
if TYPE_CHECKING:
    from collections.abc import Sequence

    from binance_guard.sources.staged import Prefetch


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    prefetch = None
    if args[:1] == ["hook"]:
        from binance_guard.sources.staged import clean_without_scanning, names_after_options

        args[1:] = names_after_options(args[1:])
        clean, prefetch = clean_without_scanning(args[1:])
        if clean:
            return 0
        if argv is None:  # the process is the hook's own, not a caller's
            return _without_cycle_collector(args, prefetch)
    from binance_guard.commands import run

    return run(args, prefetch=prefetch)


def _without_cycle_collector(args: list[str], prefetch: Prefetch | None) -> int:
    """A commit the clean path could not pass takes a process a few tens of milliseconds and
    makes few reference cycles: without the cycle collector, importing the scanner is not
    interrupted to walk every object in memory, and with them frozen at the end, the exit does
    not walk them again either (a tenth of the process's instructions)."""
    import gc

    gc.disable()
    from binance_guard.commands import run

    code = run(args, prefetch=prefetch)
    gc.freeze()
    return code
