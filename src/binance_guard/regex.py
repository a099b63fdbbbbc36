"""Regular expressions compiled when first used, from programs stored for this Python.

Compiling costs ~0.07-0.4 ms a pattern (``re``'s parser and compiler are Python), and a
blocked commit imports ~40 of them. A pattern from :func:`compile_later` stands for the
compiled one: the first use of each of its methods compiles it and keeps the bound method,
which later uses find directly, at no cost. :func:`compile_now` takes the program ``re``
would compile from :mod:`binance_guard.regex_programs` when it holds one for this CPython
(the same code: an equal pattern), and compiles otherwise.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # the engine re compiles for
import re
import sys

from binance_guard.regex_programs import PROGRAMS

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from typing import Any, AnyStr

# What a stored program depends on: the Python (its parser, compiler and Unicode tables), and
# the format, limits and byte order of _sre's code (re imports _sre wherever it works).
PYTHON = (
    sys.implementation.name,
    *sys.version_info[:2],
    _sre.MAGIC,
    _sre.CODESIZE,
    _sre.MAXREPEAT,
    sys.byteorder,
)
_STORED = PROGRAMS.get(PYTHON, {})


def compile_now(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``."""
    stored = _STORED.get((pattern, int(flags)))
    if stored is None:
        return re.compile(pattern, flags)
    final_flags, code, groups, groupindex, indexgroup = stored
    program = memoryview(bytes.fromhex(code)).cast("I").tolist()  # CODESIZE bytes each
    compiled: re.Pattern[AnyStr] = _sre.compile(
        pattern, final_flags, program, groups, dict(groupindex), indexgroup
    )
    return compiled


class _Later:
    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._source: tuple[Any, int] = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        value = getattr(compile_now(*self._source), name)
        setattr(self, name, value)  # found on the instance from now on
        return value


def compile_later(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, done on first use."""
    return _Later(pattern, flags)  # type: ignore[return-value]  # it stands for one
