"""What an attacker puts in file names, commit messages, author names and server answers:
control characters, escape sequences, bidi overrides, bytes that are not UTF-8 (as Python
decodes them: surrogateescape), quotes, Markdown and GitHub workflow-command syntax."""

from __future__ import annotations

import re

from hypothesis import strategies as st

PIECES = (
    "\x00\x07\x08\t\n\r\x1b\x7f\x85\x9b\u202e\u2066\u200f\ufeff\udcff\udc80\udce9"
    "\u00ad\u180e\u2028\u2029\u206a\ufff9\U000e0041\U000e007f"
    "%:,|`\\*_<>[]&~'\" "
)
SEQUENCES = (
    "\x1b[31m",  # colour
    "\x1b[2J",  # clear screen
    "\x1b]0;owned\x07",  # OSC: window title
    "\x1b]8;;https://evil.example\x1b\\",  # OSC 8 hyperlink
    "\r\x1b[K",  # hide what came before
    "\n::add-mask::",
    "\n::error file=x::forged",
    "::stop-commands::x",
    "%0A::warning::",
    "| x | `y` |",
    "<img src=x>",
)
# What must never reach a terminal raw: C0 (newline and tab included, inside a value), DEL,
# C1, a non-UTF-8 byte, a bidi override or isolate, a line separator, an invisible character
# (soft hyphen, zero-width, tag characters).
RAW_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
    "\ufff9-\ufffb\udc80-\udcff\U000e0000-\U000e007f]"
)


def text(max_size: int = 12) -> st.SearchStrategy[str]:
    """Hostile text: any Unicode, the characters above, and whole escape sequences."""
    return st.lists(
        st.one_of(
            st.characters(codec="utf-8"), st.sampled_from(PIECES), st.sampled_from(SEQUENCES)
        ),
        max_size=max_size,
    ).map("".join)


def file_name(max_size: int = 8) -> st.SearchStrategy[bytes]:
    """A file name as the file system takes it: any bytes but NUL and "/"."""
    return (
        text(max_size)
        .map(lambda s: s.replace("\x00", "").replace("/", "").encode("utf-8", "surrogateescape"))
        .filter(lambda b: b not in (b"", b".", b"..", b".git") and len(b) < 200)
    )
