"""Regular expressions compiled when first used.

Compiling costs ~0.07 ms a pattern, and a blocked commit imports ~40 of them of which it uses
fewer than half (private-key armour, labels, git ref names, settings-file checks wait for their
input). A pattern from :func:`compile_later` stands for the compiled one: the first use of
each of its methods compiles it (through ``re``'s cache) and keeps the bound method, which
later uses find directly, at no cost.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from typing import Any, AnyStr


class _Later:
    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._source: tuple[Any, int] = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        value = getattr(re.compile(*self._source), name)
        setattr(self, name, value)  # found on the instance from now on
        return value


def compile_later(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, done on first use."""
    return _Later(pattern, flags)  # type: ignore[return-value]  # it stands for one
