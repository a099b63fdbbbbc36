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
        table = _read(project).get("tool", {}).get("binance-guard")
        if table is not None:
            if not isinstance(table, dict):
                raise ConfigError(f"{project}: [tool.binance-guard] must be a table")
            return project, table
    return None


def _mentions_us(path: str) -> bool:
    """Only a pyproject.toml that names our table is parsed: someone else's broken TOML is
    none of our business (an invalid one that does name it is an error)."""
    try:
        with open(path, "rb") as handle:
            return b"binance-guard" in handle.read()
    except OSError:
        return False


def _read(path: str) -> dict[str, Any]:
    import tomllib  # ~7 ms with typing and datetime: only when there is a file to read

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:  # a repository's own settings file may be anything
        raise ConfigError(f"{path}: invalid TOML: not UTF-8") from None
    except RecursionError:  # a = [[[[…
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def load(root: str, explicit: str | None = None) -> Config:
    """The config for a repository rooted at ``root``, or the ``--config`` file."""
    if explicit is not None:
        if not os.path.isfile(explicit):
            raise ConfigError(f"--config {explicit}: no such file")
        table = _read(explicit)
        if os.path.basename(explicit) == PYPROJECT:
            table = table.get("tool", {}).get("binance-guard", {})
        return parse(table, explicit)
    found = find(root)
    return parse(found[1], found[0]) if found else Config()


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
