"""The per-sink neutralisers and the secret masker, on any text (hypothesis)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from binance_guard.finding import Confidence, Finding
from binance_guard.record import replace
from binance_guard.report.redact import MASK, PIECE, Redactor, mask
from binance_guard.report.sanitize import (
    markdown,
    strings,
    terminal,
    workflow_data,
    workflow_property,
)
from testing import hostile
from testing.github import workflow_commands
from testing.hostile import RAW_CONTROL
from testing.keys import fake_key

KEY, SECRET = fake_key("sanitize-key"), fake_key("sanitize-secret")
HOSTILE = hostile.text(30)


@settings(max_examples=200)
@given(HOSTILE)
def test_terminal_output_holds_no_control_character(text: str) -> None:
    shown = terminal(text)
    assert not RAW_CONTROL.search(shown)
    shown.encode("utf-8")  # no lone surrogate left: printable under any error handler


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_terminal_leaves_plain_text_alone(text: str) -> None:
    runner_command = "##[" in text or text.lstrip().startswith("::")
    assert (terminal(text) == text) is not runner_command


@given(st.lists(st.sampled_from([" ", ":", "#", "[", "x", "\t", "::", "##["])).map("".join))
def test_a_value_starting_a_log_line_is_no_workflow_command(text: str) -> None:
    """What the GitHub runner would execute: "::" after spaces at a line's start, "##["
    anywhere in it."""
    assert workflow_commands(f"  {terminal(text)}  {terminal(text)}") == []


def test_terminal_names_what_it_escaped() -> None:
    assert terminal("a\x1b[2Jb\rc\n") == "a\\x1b[2Jb\\rc\\n"
    assert terminal("caf\udce9.env") == "caf\\xe9.env"  # the byte of a non-UTF-8 name
    assert terminal("\u202etxt.exe") == "\\u202etxt.exe"


def _decode_workflow(value: str) -> str:
    """What the runner makes of an encoded value."""
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(code, char)
    return value


@settings(max_examples=200)
@given(HOSTILE)
def test_workflow_values_stay_on_their_line_and_decode_to_themselves(text: str) -> None:
    data, prop = workflow_data(text), workflow_property(text)
    assert not re.search("[\r\n]", data) and not re.search("[\r\n:,]", prop)
    readable = terminal(text) if re.search("[\udc80-\udcff]", text) else text
    if readable == text:
        assert _decode_workflow(data) == text == _decode_workflow(prop)
    data.encode("utf-8")


@settings(max_examples=200)
@given(HOSTILE)
def test_markdown_cells_hold_no_markup(text: str) -> None:
    cell = markdown(text)
    assert "\n" not in cell and "\r" not in cell
    # every markup character is escaped: drop escaped pairs, none may remain
    assert not re.search(r"[`*_|<>\[\]~&]", re.sub(r"\\.", "", cell))


@settings(max_examples=200)
@given(HOSTILE, HOSTILE, st.sampled_from([KEY, SECRET, KEY[2:], SECRET[:20]]))
def test_no_piece_of_a_secret_survives_masking(before: str, after: str, piece: str) -> None:
    shown = Redactor([KEY, SECRET])(before + piece + after)
    for secret in (KEY, SECRET):
        assert not any(secret[i : i + PIECE] in shown for i in range(len(secret) - PIECE + 1))
    assert MASK in shown


@given(HOSTILE)
def test_masking_leaves_other_text_alone(text: str) -> None:
    assert not any(KEY[i : i + PIECE] in text for i in range(len(KEY) - PIECE + 1))
    assert Redactor([KEY])(text) == text
    # the control: a piece is masked (after a blank: text ending in KEY[2] lengthens the piece)
    assert Redactor([KEY])(text + " " + KEY[3:15]) == text + " " + MASK


def test_every_string_of_a_finding_is_masked_but_its_secret_kept() -> None:
    finding = Finding(
        type="binance_secret_key",
        path=f"conf/{KEY}.py",
        line=2,
        column=9,
        secret=SECRET,
        confidence=Confidence.HIGH,
        reasons=(f"assigned to '{KEY[2:]}'", "Binance context: same line"),
    )
    shown = mask([finding], [KEY, SECRET])[0]
    assert shown.reasons == ("assigned to '********'", "Binance context: same line")
    assert shown.path == "conf/********.py"
    assert shown.secret == SECRET and shown.confidence is Confidence.HIGH  # raw, enum kept
    assert replace(shown, path=finding.path, reasons=finding.reasons) == finding
    assert strings(finding, terminal) == finding  # nothing to escape


def test_every_unprintable_character_is_escaped_and_nothing_else() -> None:
    """Not a list of dangerous characters, which always misses one: soft hyphens, tag
    characters, U+180E and the other invisible ones hid parts of file names."""
    for code in range(0x110000):
        char = chr(code)
        assert (terminal(f"a{char}b") == f"a{char}b") is char.isprintable(), hex(code)


@given(st.text())
def test_terminal_output_is_printable(text: str) -> None:
    assert terminal(text).isprintable()
