"""No detected secret in full in any output unless ``--show-secrets``, whatever role the
value plays where it is repeated: a value, a name (``KEYS = {"<key>": "<secret>"}`` makes the
secret's reason "assigned to '<key>'"), a call, a path, a note or a server's message.

Findings show ``redacted`` (4 + 4 characters); everything else a report holds is masked
here, once, before any renderer sees it: every run of text sharing :data:`PIECE` or more
consecutive characters with a detected secret becomes :data:`MASK`.
"""

from __future__ import annotations

from binance_guard.regex import compile_later, compile_now
from binance_guard.report.sanitize import strings

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on a blocked commit's path
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import TypeVar

    T = TypeVar("T")

PIECE = 9  # more than the 4 + 4 characters ``redacted`` shows of a secret
MASK = "********"
# Key material: long runs of key characters. PEM headers and their words ("ENCRYPTED")
# are not secret, and masking them would hide what kind of key was found.
_MATERIAL = compile_now(r"[A-Za-z0-9+/=_-]{16,}")
_CREDENTIALS = compile_later(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")
# A value as long as a Binance key (64) or close: no option value, command or path word is.
_KEY_SHAPED = compile_later(r"(?<![A-Za-z0-9])[A-Za-z0-9]{48,}(?![A-Za-z0-9])")


class Redactor:
    """Masks every piece of the given secrets in a string."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._pieces = {
            run[i : i + PIECE]
            for secret in secrets
            for run in _MATERIAL.findall(secret)
            for i in range(len(run) - PIECE + 1)
        }

    def __call__(self, text: str) -> str:
        if not self._pieces or len(text) < PIECE:
            return text
        out: list[str] = []
        done, start, end = 0, 0, -1  # text[:done] is out; text[start:end] is being masked
        for i in range(len(text) - PIECE + 1):
            if text[i : i + PIECE] in self._pieces:
                if i > end:  # not touching the run being masked: start a new one
                    if end >= 0:
                        out += [text[done:start], MASK]
                        done = end
                    start = i
                end = i + PIECE
        if end >= 0:
            out += [text[done:start], MASK]
            done = end
        out.append(text[done:])
        return "".join(out)


def strip_credentials(text: str) -> str:
    """URLs in ``text`` without the user and password they carry (``https://user:token@``):
    a remote or a repository named by such a URL (git passes it to pre-push as given)."""
    return _CREDENTIALS.sub(r"\1***@", text)


def key_shaped(text: str) -> str:
    """``text`` with every key-shaped run shown as a finding is (4 + 4 characters): for what
    no detector judged, such as a command line the parser refused (``audit --api-key <key>``)."""
    from binance_guard.finding import redact

    return _KEY_SHAPED.sub(lambda match: redact(match.group()), text)


def mask(value: T, secrets: Iterable[str]) -> T:
    """``value`` (a report, a finding list, a message) with ``secrets`` masked everywhere."""
    return strings(value, Redactor(secrets))
