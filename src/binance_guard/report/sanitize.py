"""Untrusted text made harmless for the sink it goes to: one function per sink.

File names, commit messages, author and ref names, notes and server answers come from
whoever wrote the repository or runs the server. In a terminal an escape sequence can
rewrite the screen or set the window title (OSC), ``\\r`` can hide what precedes it, and
bidirectional overrides can reorder what is shown; on a GitHub runner a newline followed by
``::`` is a workflow command (``::add-mask::``, ``::error``); in Markdown ``|`` ends a table
cell and a backtick opens code; in a command the user pastes, ``;`` or ``$(`` runs another.
Every renderer passes untrusted values through the function for its sink; :func:`strings`
applies one to every string inside a report.
"""

from __future__ import annotations

import enum
import re

from binance_guard.record import fields, is_record, replace
from binance_guard.regex import compile_later

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on a blocked commit's path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

# C0 controls (newline and tab included: inside one value they only forge lines), DEL, C1
# controls (0x9b is a one-byte CSI), the bytes of a name that is not UTF-8 (decoded with
# surrogateescape), and the invisible characters that reorder or hide text (Trojan Source).
# All of them are unprintable (str.isprintable), which spares most strings the regex.
_UNSAFE = compile_later(
    "[\x00-\x1f\x7f-\x9f\udc80-\udcff\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
_SURROGATE = compile_later("[\udc80-\udcff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}
# Markdown that changes meaning in a GFM table cell; & for entities like &#124;.
_MARKDOWN = compile_later(r"([\\`*_\[\]<>|~&])")


def _not_utf8(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()) - 0xDC00:02x}"


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:
        return _not_utf8(match)  # the byte the file name really holds
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """Every control, non-UTF-8 byte and bidi/invisible character shown as an escape."""
    return text if text.isprintable() else _UNSAFE.sub(_visible, text)


def workflow_data(text: str) -> str:
    """The message of a workflow command (``::error ...::DATA``): encoded the way the runner
    decodes it, so a file name with a newline stays that name and forges no command."""
    text = _SURROGATE.sub(_not_utf8, text)  # the runner reads UTF-8
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a workflow command (``file=...,title=...``)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def markdown(text: str) -> str:
    """Literal text in Markdown, safe in a table cell: no markup, no cell break, no HTML."""
    return _MARKDOWN.sub(r"\\\1", terminal(text))


def shell(text: str) -> str:
    """One word of a command the user is told to paste (a ref, a path, a remote): it stays
    one argument whatever it holds (git allows ``;``, ``|``, ``$(`` in branch names)."""
    import shlex  # only where a command is suggested

    return shlex.quote(text)


def strings(value: T, neutralise: Callable[[str], str]) -> T:
    """``value`` with ``neutralise`` applied to every string inside it (records, lists,
    tuples, dicts, Counters), so a renderer cannot forget a field. A field declared with
    ``field(raw=True)`` (a finding's secret) is left alone, and so are enums."""
    result: Any
    if isinstance(value, enum.Enum):
        result = value
    elif isinstance(value, str):
        result = neutralise(value)
    elif is_record(value):
        changes = {
            f.name: strings(getattr(value, f.name), neutralise) for f in fields(value) if not f.raw
        }
        result = replace(value, **changes)
    elif isinstance(value, (list, tuple)):
        result = type(value)(strings(item, neutralise) for item in value)
    elif isinstance(value, dict):
        result = type(value)(
            {strings(k, neutralise): strings(v, neutralise) for k, v in value.items()}
        )
    else:
        result = value
    return result  # type: ignore[no-any-return]
