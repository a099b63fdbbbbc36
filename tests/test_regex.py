"""Patterns compiled on first use answer as the compiled ones, str and bytes alike."""

from __future__ import annotations

import re

import pytest

from binance_guard.regex import compile_later


def test_a_later_pattern_answers_as_the_compiled_one() -> None:
    later, now = compile_later(r"(\w+)=(\d+)", re.ASCII), re.compile(r"(\w+)=(\d+)", re.ASCII)
    text = "a=1 b=22 c=x"
    assert [m.groups() for m in later.finditer(text)] == [m.groups() for m in now.finditer(text)]
    assert later.sub("-", text) == now.sub("-", text) and later.pattern == now.pattern
    assert compile_later(rb"0x[0-9a-f]+").findall(b"0x1f 0xg") == [b"0x1f"]


def test_nothing_is_compiled_before_first_use() -> None:
    broken = compile_later("(unclosed")
    with pytest.raises(re.error):
        broken.search("x")
