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

from binance_guard.record import fields, is_record, replace
from binance_guard.regex import compile_later

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on a blocked commit's path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

_SURROGATE = compile_later("[\udc80-\udcff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}
# Markdown that changes meaning in a GFM table cell; & for entities like &#124;.
_MARKDOWN = compile_later(r"([\\`*_\[\]<>|~&])")


def _visible(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # the byte the file name really holds
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal(text: str) -> str:
    """Every character str.isprintable() refuses shown as an escape: controls (newline and
    tab too: inside one value they only forge lines; 0x9b is a one-byte CSI), the bytes of a
    name that is not UTF-8 (decoded with surrogateescape), line and paragraph separators, and
    the invisible characters that reorder or hide text (bidi overrides, zero-width, soft
    hyphen, tag characters: Trojan Source). A list of the dangerous ones always misses one.

    A CI log is a terminal too: the GitHub runner executes a line that starts with "::"
    after spaces, or holds the legacy "##[" anywhere, so a value that could make one (a file
    name starting a line of scan's or the hook's output) shows that ":" or "[" escaped."""
    if text.isprintable() and "##[" not in text and not text.lstrip().startswith("::"):
        return text
    shown = "".join(c if c.isprintable() else _visible(c) for c in text).replace("##[", "##\\x5b")
    start = len(shown) - len(shown.lstrip())
    if shown.startswith("::", start):
        shown = f"{shown[:start]}\\x3a{shown[start + 1 :]}"
    return shown


def shown(text: str, limit: int = 120) -> str:
    """A server's words, safe to print (:func:`terminal`), cut at ``limit`` characters."""
    return terminal(text[:limit]) + ("…" if len(text) > limit else "")


def workflow_data(text: str) -> str:
    """The message of a workflow command (``::error ...::DATA``): encoded the way the runner
    decodes it, so a file name with a newline stays that name and forges no command."""
    text = _SURROGATE.sub(lambda match: _visible(match.group()), text)  # the runner reads UTF-8
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
