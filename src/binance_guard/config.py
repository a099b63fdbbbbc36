"""The project's settings: ``.binance-guard.toml`` at the repository root, or
``[tool.binance-guard]`` in ``pyproject.toml``, read by every command; flags override them.

Loaded only after the hook's clean path has ruled a commit clean-or-not (tomllib is not
imported there): nothing here can make the prefilter's "no candidate" answer wrong, since every
setting only removes findings, and ``min_confidence = "low"`` is still within the prefilter.
"""

from __future__ import annotations

import os
import re

from binance_guard.errors import UsageError
from binance_guard.finding import Confidence
from binance_guard.record import field, record
from binance_guard.regex import compile_later

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

CONFIG_FILE = ".binance-guard.toml"
PYPROJECT = "pyproject.toml"
TOP_KEYS = frozenset({"min_confidence", "exclude_paths", "allowlist"})
ALLOWLIST_KEYS = frozenset({"paths", "regexes", "fingerprints", "commits"})
FINGERPRINT_KEYS = frozenset({"fingerprint", "reason"})
FINGERPRINT = compile_later(r"[0-9a-f]{64}")
COMMIT = compile_later(r"[0-9a-f]{7,64}")


class ConfigError(UsageError):
    """The configuration file cannot be used; the message names the file and the key."""


@record(frozen=True)
class Config:
    """Settings from the file; empty (all defaults) when there is none."""

    source: str | None = None  # the file it came from
    min_confidence: str | None = None
    exclude_paths: tuple[str, ...] = ()
    allow_paths: tuple[str, ...] = ()
    allow_regexes: tuple[str, ...] = ()
    fingerprints: dict[str, str] = field(default_factory=dict)  # fp -> reason
    commits: tuple[str, ...] = ()


def find(start: str) -> tuple[str, dict[str, Any]] | None:
    """(file, settings table) of the first config file at ``start`` (a repository root)."""
    own = os.path.join(start, CONFIG_FILE)
    if os.path.isfile(own):
        return own, _read(own)
    if os.path.lexists(own):  # taken for absent, other settings would apply without a word
        raise ConfigError(f"{own}: not a file")
    project = os.path.join(start, PYPROJECT)
    if os.path.isfile(project) and _mentions_us(project):
        table = _tool_table(project, _read(project))
        if table is not None:
            return project, table
    return None


def _tool_table(path: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """A pyproject.toml's ``[tool.binance-guard]``, or None when it has none."""
    tool = data.get("tool", {})
    table = tool.get("binance-guard") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.binance-guard] must be a table")
    return table


def _mentions_us(path: str) -> bool:
    """Only a pyproject.toml that names our table is parsed: someone else's broken TOML is
    none of our business (an invalid one that does name it is an error)."""
    try:
        with open(path, "rb") as handle:
            return b"binance-guard" in handle.read()
    except OSError:
        return False


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    return _toml(path, data)


def _toml(path: str, data: bytes) -> dict[str, Any]:
    """``data`` (the file ``path``, as messages name it) as TOML."""
    try:
        text = data.decode()
    except UnicodeDecodeError:  # a repository's own settings file may be anything
        raise ConfigError(f"{path}: invalid TOML: not UTF-8") from None
    table = plain_toml(text)
    if table is not None:
        return table
    import tomllib  # ~5 ms with typing, datetime and string: only for what plain_toml leaves

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # a = [[[[…
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


# TOML 1.0's bare key characters, blanks, and the characters no string or comment may hold.
_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_BLANKS = " \t"
_CONTROL = frozenset(map(chr, (*range(9), *range(10, 32), 127)))
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class _NotPlain(Exception):
    """Outside what :func:`plain_toml` reads: tomllib decides (and reports any error)."""


def plain_toml(text: str) -> dict[str, Any] | None:
    """``tomllib.loads(text)`` for the TOML settings files are written in: bare keys,
    ``[table]`` and ``[[array.of.tables]]`` headers, strings and arrays of strings, comments.
    None for anything else, valid or not, which tomllib then reads: importing it costs a
    blocked commit ~5 ms (``typing``, ``datetime``, ``string``), a sixth of its time."""
    text = text.replace("\r\n", "\n")  # as tomllib does
    if "\r" in text:
        return None
    root: dict[str, Any] = {}
    arrays: set[int] = set()  # ids of the lists [[...]] headers made: the only ones they extend
    declared: set[int] = set()  # ids of the tables [...] headers made: one header each
    table, pos = root, 0
    try:
        while (pos := _skip_blank_lines(text, pos)) < len(text):
            if text.startswith("[[", pos):
                end = text.find("]]", pos)
                table = _element(root, _header(text, pos + 2, end), arrays)
                pos = end + 2
            elif text[pos] == "[":
                end = text.find("]", pos)
                path = _header(text, pos + 1, end)
                # a table made on the way to another one's header may have its own, once
                table = _parent(root, path, arrays).setdefault(path[-1], {})
                if not isinstance(table, dict) or id(table) in declared:
                    raise _NotPlain
                declared.add(id(table))
                pos = end + 1
            else:
                start = pos
                while pos < len(text) and text[pos] in _BARE:
                    pos += 1
                key = text[start:pos]
                pos = _skip(text, pos, _BLANKS)
                if not key or key in table or not text.startswith("=", pos):
                    raise _NotPlain
                pos = _skip(text, pos + 1, _BLANKS)
                if text.startswith("[", pos):
                    table[key], pos = _strings(text, pos + 1)
                else:
                    table[key], pos = _string(text, pos)
            pos = _skip(text, pos, _BLANKS)
            if text.startswith("#", pos):
                pos = _comment(text, pos)
            if pos < len(text) and text[pos] != "\n":
                raise _NotPlain
    except _NotPlain:
        return None
    return root


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _comment(text: str, pos: int) -> int:
    """The end of the comment at ``pos`` (its newline, or the end of the text)."""
    end = text.find("\n", pos)
    end = len(text) if end == -1 else end
    if not _CONTROL.isdisjoint(text[pos:end]):
        raise _NotPlain
    return end


def _skip_blank_lines(text: str, pos: int) -> int:
    """Past blanks, newlines and comments: between lines, and inside an array."""
    while (pos := _skip(text, pos, _BLANKS + "\n")) < len(text) and text[pos] == "#":
        pos = _comment(text, pos)
    return pos


def _header(text: str, start: int, end: int) -> list[str]:
    """The dotted bare keys of a table header, without blanks around the dots."""
    path = text[start:end].strip(_BLANKS).split(".") if end != -1 else [""]
    if not all(part and _BARE.issuperset(part) for part in path):
        raise _NotPlain
    return path


def _parent(root: dict[str, Any], path: list[str], arrays: set[int]) -> dict[str, Any]:
    """The table that holds the last key of a header's ``path``, made on the way as needed;
    through an array of tables, its last element."""
    table = root
    for key in path[:-1]:
        child = table.setdefault(key, {})
        if isinstance(child, list) and id(child) in arrays:
            child = child[-1]
        elif not isinstance(child, dict):
            raise _NotPlain
        table = child
    return table


def _element(root: dict[str, Any], path: list[str], arrays: set[int]) -> dict[str, Any]:
    """A new element of the array of tables a ``[[path]]`` header names."""
    parent = _parent(root, path, arrays)
    elements = parent.get(path[-1])
    if elements is None:
        elements = parent[path[-1]] = []
        arrays.add(id(elements))
    elif id(elements) not in arrays:  # a table, or an array of strings
        raise _NotPlain
    elements.append({})
    table: dict[str, Any] = elements[-1]
    return table


def _string(text: str, pos: int) -> tuple[str, int]:
    """The one-line string at ``pos``, literal or basic (without ``\\u`` escapes), and the
    position after it."""
    quote = text[pos : pos + 1]
    if quote not in ('"', "'") or text.startswith(quote * 3, pos):
        raise _NotPlain
    chars, pos = [], pos + 1
    while pos < len(text) and text[pos] != quote:
        char = text[pos]
        if char in _CONTROL:
            raise _NotPlain
        if char == "\\" and quote == '"':
            pos += 1
            char = _ESCAPES.get(text[pos : pos + 1], "")
            if not char:
                raise _NotPlain
        chars.append(char)
        pos += 1
    if pos == len(text):
        raise _NotPlain
    return "".join(chars), pos + 1


def _strings(text: str, pos: int) -> tuple[list[str], int]:
    """An array of strings, after its ``[``, over lines and comments; the position after it."""
    values: list[str] = []
    while not text.startswith("]", pos := _skip_blank_lines(text, pos)):
        value, pos = _string(text, pos)
        values.append(value)
        pos = _skip_blank_lines(text, pos)
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith("]", pos):
            raise _NotPlain
    return values, pos + 1


def find_at(repo: str, commit: str) -> tuple[str, dict[str, Any]] | None:
    """:func:`find` in ``commit``'s tree instead of the work tree (``ci``'s base commit)."""
    from binance_guard.sources import git

    try:
        own = git.file_at(repo, commit, CONFIG_FILE)
        project = None if own is not None else git.file_at(repo, commit, PYPROJECT)
    except git.GitError as exc:
        raise ConfigError(str(exc)) from None
    if own is not None:
        return f"{CONFIG_FILE} at {commit[:12]}", _toml(f"{CONFIG_FILE} at {commit[:12]}", own)
    if project is not None and b"binance-guard" in project:
        name = f"{PYPROJECT} at {commit[:12]}"
        table = _tool_table(name, _toml(name, project))
        if table is not None:
            return name, table
    return None


def load(root: str, explicit: str | None = None, at: str | None = None) -> Config:
    """The config for a repository rooted at ``root``, or the ``--config`` file; with ``at``
    (a commit), the repository's files as that commit has them, and defaults when it has
    none (the change under review adds it: it applies once merged)."""
    if at is not None and explicit is None:
        found = find_at(root, at)
        return parse(found[1], found[0]) if found else Config()
    if at is not None and explicit is not None:
        from binance_guard.sources import git
        from binance_guard.sources.source import as_committed

        try:
            committed = as_committed(explicit, root, at)
        except git.GitError as exc:
            raise ConfigError(f"--config {explicit}: {exc}") from None
        if committed is not None:
            named, data = committed
            name = f"{named} at {at[:12]}"
            return Config() if data is None else _named(named, name, _toml(name, data))
    if explicit is not None:
        if not os.path.isfile(explicit):
            raise ConfigError(f"--config {explicit}: no such file")
        return _named(explicit, explicit, _read(explicit))
    found = find(root)
    return parse(found[1], found[0]) if found else Config()


def _named(explicit: str, name: str, table: dict[str, Any]) -> Config:
    """The settings of the file ``--config`` names (``name``: as messages call it)."""
    if os.path.basename(explicit) == PYPROJECT:
        # Named on purpose: settings that are not there must not pass for defaults.
        own = _tool_table(name, table)
        if own is None:
            raise ConfigError(f"--config {name}: no [tool.binance-guard] table")
        table = own
    return parse(table, name)


def parse(table: dict[str, Any], source: str) -> Config:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{source}: {key}: {problem}")

    def unknown(keys: Iterable[str], allowed: frozenset[str], where: str) -> None:
        for key in keys:
            if key not in allowed:
                raise fail(
                    f"{where}{key}", f"unknown key (expected one of {', '.join(sorted(allowed))})"
                )

    def strings(value: object, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "must be a list of strings")
        return tuple(value)

    def regexes(value: object, key: str) -> tuple[str, ...]:
        patterns = strings(value, key)
        for index, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise fail(f"{key}[{index}]", f"invalid regular expression: {exc}") from None
        return patterns

    unknown(table, TOP_KEYS, "")
    confidence = table.get("min_confidence")
    if confidence is not None and confidence not in Confidence.names():
        raise fail("min_confidence", f"must be one of {', '.join(Confidence.names())}")
    allowlist = table.get("allowlist", {})
    if not isinstance(allowlist, dict):
        raise fail("allowlist", "must be a table ([allowlist])")
    unknown(allowlist, ALLOWLIST_KEYS, "allowlist.")
    fingerprints: dict[str, str] = {}
    entries = allowlist.get("fingerprints", [])
    if not isinstance(entries, list):
        raise fail(
            "allowlist.fingerprints", "must be an array of tables ([[allowlist.fingerprints]])"
        )
    for index, entry in enumerate(entries):
        key = f"allowlist.fingerprints[{index}]"
        if not isinstance(entry, dict):
            raise fail(key, "must be a table with 'fingerprint' and 'reason'")
        unknown(entry, FINGERPRINT_KEYS, f"{key}.")
        value, reason = entry.get("fingerprint"), entry.get("reason")
        if not isinstance(value, str) or not FINGERPRINT.fullmatch(value):
            raise fail(f"{key}.fingerprint", "must be a finding's 64-hex-digit fingerprint")
        if not isinstance(reason, str) or not reason.strip():
            raise fail(f"{key}.reason", "is required: say why this secret is acceptable")
        fingerprints[value] = reason
    commits = strings(allowlist.get("commits", []), "allowlist.commits")
    for index, commit in enumerate(commits):
        if not COMMIT.fullmatch(commit):
            raise fail(f"allowlist.commits[{index}]", "must be a commit id (7 to 64 hex digits)")
    return Config(
        source=source,
        min_confidence=confidence,
        exclude_paths=regexes(table.get("exclude_paths", []), "exclude_paths"),
        allow_paths=regexes(allowlist.get("paths", []), "allowlist.paths"),
        allow_regexes=regexes(allowlist.get("regexes", []), "allowlist.regexes"),
        fingerprints=fingerprints,
        commits=commits,
    )
