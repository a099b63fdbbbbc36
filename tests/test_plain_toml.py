"""Settings files are read without tomllib when they are plain: the answer is always tomllib's,
and anything else (valid or not) is left to tomllib."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from binance_guard.config import plain_toml
from testing.git_repo import GIT_ENV, stage, write
from testing.keys import fake_key


def mostly(usual: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    """One of ``usual`` three times in four, else one of ``odd``."""
    return st.sampled_from(usual * 3 + odd)


# Small pools, so that keys repeat and tables are declared twice, under values and arrays.
keys = mostly(["a", "b", "c-d", "1"], ["a.b", '"a"', "é", "", "a b"])
chars = st.lists(
    mostly(
        ["x", "é", " ", "\t", "#", "[", "]", ",", "\\\\", '\\"'],
        ["\\", '"', "'", "\n", "\r", "\x00", "\x7f", "\\n", "\\b", "\\u00e9", "\\x", "\\ "],
    ),
    max_size=5,
).map("".join)
strings = st.builds(
    lambda quote, body, end: quote + body + (quote if end is None else end),
    mostly(['"', "'"], ['"""', "'''"]),
    chars,
    st.one_of(st.none(), st.none(), st.sampled_from(['"', "'", ""])),
)
arrays = st.builds(
    lambda items, sep, trailing: "[" + sep.join(items) + (sep if trailing else "") + "]",
    st.lists(st.one_of(strings, strings, st.sampled_from(["1", "true", "[]", "{}"])), max_size=3),
    mostly([",", ", ", ",\n", " # c\n,"], ["", ",,", "\n"]),
    st.booleans(),
)
values = st.one_of(strings, arrays, mostly(["''"], ["1", "true", "{x = 'y'}", "", "'a' 'b'"]))
pairs = st.builds(lambda key, value: f"{key} = {value}", keys, values)
headers = st.builds(
    str.format,
    mostly(["[{}]", "[[{}]]"], ["[ {} ]", "[{}]]", "[[{}]", "[{}] x", "[{}]#", "[[ {}]]"]),
    mostly(["a", "b", "a.b", "a.b.c", "b.a", " a ", "c-d.a"], ["a . b", "a.", "'a'", "", "a b"]),
)
lines = st.one_of(pairs, pairs, headers, st.sampled_from(["# comment", "", "  "]))
breaks = mostly(["\n"], ["\r\n", "\r", " ", "", "\n\n", " # note\n", "#\x01\n"])
documents = st.lists(st.tuples(lines, breaks), max_size=10).map(
    lambda parts: "".join(line + end for line, end in parts)
)


@settings(max_examples=3000, deadline=None)
@given(documents)
def test_what_is_read_without_tomllib_is_what_tomllib_reads(text: str) -> None:
    table = plain_toml(text)
    if table is not None:
        assert table == tomllib.loads(text)


# Plain documents, built from what they hold: every one is read without tomllib.
names = st.sampled_from(["a", "b", "allowlist", "tool", "binance-guard", "x_1"])
texts = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=12)
plain_values = st.one_of(texts, st.lists(texts, max_size=3))
tables = st.dictionaries(names, plain_values, max_size=3)


def _literal(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(value: str | list[str]) -> str:
    if isinstance(value, str):
        return _literal(value)
    if not value:
        return "[ ]"
    return "[\n  " + ",  # item\n  ".join(map(_literal, value)) + ",\n]"


def _document(top: dict[str, Any], sections: list[tuple[str, bool, dict[str, Any]]]) -> str:
    out = [f"{k} = {_value(v)}\n" for k, v in top.items()]
    for name, many, body in sections:
        out.append(f"\n{'[[' if many else '['}{name}{']]' if many else ']'}  # section\n")
        out.extend(f"{k}\t=\t{_value(v)}\n" for k, v in body.items())
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(
    tables,
    st.lists(
        st.tuples(st.sampled_from(["s", "t.u", "tool.binance-guard"]), st.booleans(), tables),
        max_size=3,
        unique_by=lambda s: s[0],
    ),
)
def test_plain_settings_are_read_without_tomllib(
    top: dict[str, Any], sections: list[tuple[str, bool, dict[str, Any]]]
) -> None:
    text = _document(top, [(n, m, b) for n, m, b in sections if n.split(".")[0] not in top])
    assert plain_toml(text) == tomllib.loads(text)


def test_the_readme_and_bench_settings_are_plain() -> None:
    import re

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = re.search(r"```toml\n# \.binance-guard\.toml\n(.*?)```", readme, re.S)
    assert block is not None
    from bench.hook_latency import SETTINGS

    for text in (block.group(1), SETTINGS, SETTINGS.replace("\n", "\r\n")):
        assert plain_toml(text) == tomllib.loads(text)
    # [allowlist] declared after the array of tables that made it
    text = "[[allowlist.fingerprints]]\nreason = 'x'\n[allowlist]\npaths = []\n"
    assert plain_toml(text) == tomllib.loads(text)


def test_what_is_not_plain_is_left_to_tomllib() -> None:
    for text in ("a = '''x'''\n", 'a = "\\u00e9"\n', "a.b = 'x'\n", "a = 1\n", "a = 'x'\na = 'y'"):
        assert plain_toml(text) is None


def _imports(repo: Path) -> tuple[int, str, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "binance_guard", "hook", "bot.py"],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    return proc.returncode, proc.stdout, imported


def test_a_blocked_commit_reads_plain_settings_without_tomllib(repo: Path) -> None:
    bot = f"from binance.client import Client\nclient = Client('{fake_key(1)}', '{fake_key(2)}')\n"
    write(repo, ".binance-guard.toml", "[allowlist]\nregexes = ['# docs$']\n")
    stage(repo, {"bot.py": bot})
    code, out, imported = _imports(repo)
    assert code == 1 and "Commit blocked" in out and "tomllib" not in imported
    # the same settings spelled with an escape plain_toml leaves: tomllib reads them, alike
    write(repo, ".binance-guard.toml", '[allowlist]\nregexes = ["# docs\\u0024"]\n')
    assert _imports(repo)[:2] == (code, out)
    assert "tomllib" in _imports(repo)[2]
    write(repo, ".binance-guard.toml", "[allowlist]\nregexes = ['# docs']\n")
    stage(repo, {"bot.py": bot.replace("\n", "  # docs\n")})
    assert _imports(repo)[0] == 0  # the allowlist applies
