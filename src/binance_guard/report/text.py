"""Human-readable report: findings grouped into incidents (a key with its secret is one)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from binance_guard.finding import Finding
from binance_guard.sources.source import Skipped

LABELS = {
    "binance_api_key": "Binance API key",
    "binance_secret_key": "Binance secret key",
    "binance_private_key": "Binance private key",
    "private_key": "private key",
}

ADVICE = """\
What to do now:
  1. Take the value out of the file and load it at run time from an environment variable
     (e.g. BINANCE_API_KEY / BINANCE_API_SECRET) or a secrets manager.
  2. If this key was ever pushed, shared or committed before, treat it as stolen: delete it
     in Binance (Profile > API Management) first, then create a new key with only the
     permissions you need, withdrawals off, restricted to your server's IP.
  3. Not a real key? Mark the line with `# pragma: allowlist secret`, or accept it in a
     baseline: binance-guard scan --write-baseline .secrets.baseline"""


def incidents(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Pairs become one incident with two locations; everything else stands alone."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        key = (
            f"pair:{finding.pair.id}"
            if finding.pair
            else f"{finding.path}:{finding.line}:{finding.column}"
        )
        groups.setdefault(key, []).append(finding)
    return list(groups.values())


def _incident(group: list[Finding]) -> list[str]:
    confidence = max(group, key=lambda f: ("low", "medium", "high").index(f.confidence)).confidence
    title = " + ".join(LABELS[f.type] for f in group)
    if any(f.public_example for f in group):
        title += " (public example from Binance's API docs: not a leak)"
    lines = [f"[{confidence.upper()}] {title}"]
    for finding in group:
        algo = f" ({finding.algorithm})" if finding.algorithm else ""
        lines.append(
            f"  {finding.path}:{finding.line}:{finding.column}  {LABELS[finding.type]}{algo}"
            f"  {finding.redacted}"
        )
        why = [r for r in finding.reasons if not r.startswith("paired with")]
        lines.append("      why: " + "; ".join(why))
    if len(group) > 1:
        lines.append("  the key and its secret sit together: one leak, revoke the key")
    return lines


def render(
    findings: Sequence[Finding],
    skipped: Sequence[Skipped] = (),
    notes: Sequence[str] = (),
    verbose: bool = False,
    advice: bool = True,
) -> str:
    out: list[str] = [f"note: {n}" for n in notes]
    if skipped:
        if verbose:
            out += [f"skipped {s.path}: {s.reason}" for s in skipped]
        else:
            counts = Counter(s.reason.split(" (")[0].split(":")[0] for s in skipped)
            out.append(
                "skipped: "
                + ", ".join(f"{n} {r}" for r, n in sorted(counts.items()))
                + " (--verbose lists them)"
            )
    if not findings:
        out.append("binance-guard: no Binance credentials found.")
        return "\n".join(out) + "\n"
    groups = incidents(findings)
    files = len({f.path for f in findings})
    out.append(
        f"binance-guard: {len(findings)} credential{'s' * (len(findings) != 1)} "
        f"({len(groups)} incident{'s' * (len(groups) != 1)}) in {files} file{'s' * (files != 1)}:"
    )
    for group in groups:
        out.append("")
        out.extend(_incident(group))
    if advice and not all(f.public_example for f in findings):
        out += ["", ADVICE]
    return "\n".join(out) + "\n"
