"""detect-secrets-compatible baselines: accepted findings that must not block again.

A secret is known when the baseline lists its sha1 (``hashed_secret``) for the same file,
whatever plugin put it there: that is detect-secrets' own rule, so a baseline made with
``detect-secrets scan`` works here and one written here works with ``detect-secrets scan
--baseline`` and ``detect-secrets-hook``.
A previous ``--format json`` report serves too, by each finding's path and fingerprint
(sha256), as gitleaks' ``--baseline-path`` takes its own report: the way to accept what
``history`` found in files that no longer exist.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from typing import Any

from binance_guard.errors import GuardError
from binance_guard.finding import FINDING_TYPES, Finding

# detect-secrets' default filters minus two that drop real Binance keys:
# is_indirect_reference drops every `client = Client("key", "secret")` line, and
# is_likely_id_string drops any secret after an `..._id` on its line
# (`{"user_id": 7, "apiKey": ...}`).
FILTERS_USED: list[dict[str, Any]] = [
    {"path": "detect_secrets.filters.allowlist.is_line_allowlisted"},
    {"path": "detect_secrets.filters.common.is_baseline_file", "filename": ".secrets.baseline"},
    {
        "path": "detect_secrets.filters.common.is_ignored_due_to_verification_policies",
        "min_level": 2,
    },
    {"path": "detect_secrets.filters.heuristic.is_lock_file"},
    {"path": "detect_secrets.filters.heuristic.is_not_alphanumeric_string"},
    {"path": "detect_secrets.filters.heuristic.is_potential_uuid"},
    {"path": "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign"},
    {"path": "detect_secrets.filters.heuristic.is_sequential_string"},
    {"path": "detect_secrets.filters.heuristic.is_swagger_file"},
    {"path": "detect_secrets.filters.heuristic.is_templated_secret"},
]

PLUGINS = frozenset(t.plugin for t in FINDING_TYPES.values())
SECRET_TYPES = frozenset(t.secret_type for t in FINDING_TYPES.values())


class BaselineError(GuardError, ValueError):
    """The baseline file cannot be used; the message says why."""


def _normal(path: str) -> str:
    return os.path.normpath(path).replace(os.sep, "/")


class Baseline:
    def __init__(self, known: set[tuple[str, str]]) -> None:
        self.known = known

    @classmethod
    def load(cls, path: str) -> Baseline:
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
            if regular:  # a repository's .secrets.baseline can link to /dev/urandom or a FIFO
                with open(path, "rb") as handle:
                    text = handle.read()
        except OSError as exc:
            raise BaselineError(f"cannot read baseline {path}: {exc.strerror}") from None
        if not regular:  # read for ever, or never (its hook configuration passes --baseline)
            raise BaselineError(f"baseline {path} is not a regular file")
        return cls.parse(path, text)

    @classmethod
    def parse(cls, path: str, text: bytes) -> Baseline:
        """The baseline in ``text``, the file ``path`` (as messages name it) holds."""
        try:
            data = json.loads(text.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # RecursionError: [[[[…
            raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
        if isinstance(data, dict) and "results" not in data and "findings" in data:
            return cls._from_report(path, data["findings"])
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, dict):
            raise BaselineError(
                f"baseline {path} has no 'results' object (detect-secrets format) "
                "and no 'findings' list (a --format json report)"
            )
        known = set()
        for filename, entries in results.items():
            entries = (
                [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else None
            )
            if entries is None or not all(
                isinstance(e.get("hashed_secret", ""), str) for e in entries
            ):
                raise BaselineError(
                    f"baseline {path}: results for {filename!r} are not a list of entries "
                    "with a 'hashed_secret' string"
                )
            known |= {
                (_normal(filename), e["hashed_secret"]) for e in entries if "hashed_secret" in e
            }
        return cls(known)

    @classmethod
    def _from_report(cls, path: str, findings: object) -> Baseline:
        """``findings`` of a binance-guard JSON report: (path, fingerprint) pairs."""
        entries = findings if isinstance(findings, list) else [None]
        known = set()
        for index, entry in enumerate(entries):
            fields = entry if isinstance(entry, dict) else {}
            where, value = fields.get("path"), fields.get("fingerprint")
            if not isinstance(where, str) or not isinstance(value, str) or len(value) != 64:
                raise BaselineError(
                    f"baseline {path}: findings[{index}] has no 'path' and 'fingerprint' "
                    "(binance-guard --format json report)"
                )
            known.add((_normal(where), value))
        return cls(known)

    def __contains__(self, finding: Finding) -> bool:
        """Listed by sha1 (detect-secrets) or by fingerprint (a report): 40 or 64 hex digits,
        so one set holds both."""
        path = _normal(finding.path)
        return any((path, h) in self.known for h in (finding.hashed_secret, finding.fingerprint))


def plugin_path() -> str:
    """Where the detect-secrets plugin file lives, for ``--plugin``."""
    from binance_guard.integrations import plugin

    return os.path.abspath(str(plugin.__file__))


# Baselines name the plugin file by a path relative to the repository root (where
# pre-commit and CI run detect-secrets), never by this machine's site-packages.
SHIM = ".binance-guard/detect_secrets_plugin.py"
SHIM_TEXT = '''"""binance-guard's detect-secrets plugins, for the baseline that names this file.

Written by `binance-guard scan --write-baseline`: commit it with the baseline. detect-secrets
loads plugins from a file; this one finds binance-guard wherever it is installed, also when
detect-secrets is installed apart from it (pipx, pre-commit), through `binance-guard` on PATH.
"""

try:
    from {module} import {names}
except ImportError:
    import pathlib
    import shutil
    import subprocess
    import sys

    _exe = shutil.which("binance-guard")
    if _exe is None:
        raise ImportError(
            "the baseline's plugins need binance-guard installed: "
            "pipx install git+https://github.com/binance-guard/binance-guard"
        ) from None
    _file = subprocess.run(
        [_exe, "plugin-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    sys.path.append(str(pathlib.Path(_file).parents[{depth}]))
    from {module} import {names}
'''


def write_shim(root: str) -> str:
    """Write the plugin shim under ``root``; its path relative to ``root``."""
    from binance_guard.integrations import plugin

    target = os.path.join(root, *SHIM.split("/"))
    for link in (os.path.dirname(target), target):  # the repository's own, if links
        if os.path.islink(link):
            raise BaselineError(
                f"{os.path.relpath(link, root)} is a symbolic link: not written through"
            )
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(
            SHIM_TEXT.format(
                module=plugin.__name__,
                names=", ".join(sorted(PLUGINS)),
                depth=plugin.__name__.count("."),
            )
        )
    return SHIM


def baseline_entry(finding: Finding) -> dict[str, Any]:
    return {
        "type": FINDING_TYPES[finding.type].secret_type,
        "filename": _normal(finding.path),
        "hashed_secret": finding.hashed_secret,
        "is_verified": False,
        "line_number": finding.line,
    }


def _updatable(data: object) -> bool:
    """Only a baseline whose every part has detect-secrets' shape is rewritten."""
    if not isinstance(data, dict):
        return False
    plugins, results = data.get("plugins_used", []), data.get("results", {})
    return (
        isinstance(plugins, list)
        and all(isinstance(p, dict) for p in plugins)
        and isinstance(results, dict)
        and all(
            isinstance(v, list) and all(isinstance(e, dict) for e in v) for v in results.values()
        )
    )


def _line_number(entry: dict[str, Any]) -> int:
    number = entry.get("line_number")
    return number if isinstance(number, int) else 0


def write(path: str, findings: Iterable[Finding], root: str) -> None:
    """Write or update a baseline, keeping other plugins' results and settings. ``root``:
    the repository's top, which finding paths, the plugin shim and the baseline's own
    filename in ``filters_used`` are relative to."""
    from datetime import UTC, datetime

    from detect_secrets.__version__ import VERSION as ds_version

    try:
        with open(path, encoding="utf-8") as handle:
            data: dict[str, Any] = json.load(handle)
    except FileNotFoundError:
        data = {"version": ds_version, "plugins_used": [], "filters_used": FILTERS_USED}
        own_name = _normal(os.path.relpath(os.path.abspath(path), root))
        data["filters_used"] = [
            {**f, "filename": own_name} if "filename" in f else f for f in FILTERS_USED
        ]
    except (OSError, ValueError, RecursionError) as exc:
        raise BaselineError(f"cannot update baseline {path}: {exc}") from None
    if not _updatable(data):
        raise BaselineError(f"cannot update baseline {path}: not a detect-secrets baseline")
    ours = SECRET_TYPES
    file_url = "file://" + write_shim(root)
    plugins = [p for p in data.get("plugins_used", []) if p.get("name") not in PLUGINS]
    plugins += [{"name": n, "path": file_url} for n in sorted(PLUGINS)]
    results: dict[str, list[dict[str, Any]]] = {}
    for filename, entries in data.get("results", {}).items():
        kept = [e for e in entries if e.get("type") not in ours]
        if kept:
            results[filename] = kept
    for finding in findings:
        results.setdefault(_normal(finding.path), []).append(baseline_entry(finding))
    data["plugins_used"] = sorted(plugins, key=lambda p: str(p["name"]))
    data["results"] = {k: sorted(v, key=_line_number) for k, v in sorted(results.items())}
    data["generated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
