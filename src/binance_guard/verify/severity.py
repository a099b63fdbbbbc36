"""How dangerous a live key is, by Binance's own advice: withdrawals are the most dangerous
right; a key without IP restriction works from anywhere; rotate every 90 days."""

from __future__ import annotations

from binance_guard.finding import Severity

ROTATION_DAYS = 90

# apiRestrictions fields that let a key move or risk funds, besides withdrawals.
TRADING_RIGHTS = {
    "enableSpotAndMarginTrading": "spot & margin trading",
    "enableFutures": "futures",
    "enableMargin": "margin loan/repay",
    "enableVanillaOptions": "options",
    "enableInternalTransfer": "internal transfer",
    "permitsUniversalTransfer": "universal transfer",
    "enablePortfolioMarginTrading": "portfolio margin trading",
    "enableFixApiTrade": "FIX API trading",
}


def assess(
    permissions: dict[str, bool], ip_restricted: bool, age_days: int | None
) -> tuple[Severity, bool, list[str]]:
    """(severity, rotation due, risks in words)."""
    risks: list[str] = []
    rights = [name for field, name in TRADING_RIGHTS.items() if permissions.get(field)]
    if permissions.get("enableWithdrawals"):
        severity = Severity.CRITICAL
        risks.append("withdrawals enabled: the account can be drained to any address")
    elif rights and not ip_restricted:
        severity = Severity.HIGH
        risks.append(f"no IP restriction with {', '.join(rights)}: usable from anywhere")
    elif rights or not ip_restricted:
        severity = Severity.MEDIUM
    else:
        severity = Severity.LOW
    if rights and ip_restricted:
        risks.append(f"rights: {', '.join(rights)} (IP-restricted)")
    if not ip_restricted and not rights and not permissions.get("enableWithdrawals"):
        risks.append("no IP restriction: balances and history readable from anywhere")
    rotation_due = age_days is not None and age_days > ROTATION_DAYS
    if rotation_due:
        risks.append(f"created {age_days} days ago: rotation due (every {ROTATION_DAYS} days)")
        severity = max(severity, Severity.MEDIUM)
    return severity, rotation_due, risks
