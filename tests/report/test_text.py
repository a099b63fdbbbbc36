"""The human report: incidents, labels, skipped files, advice, and never a raw secret."""

from __future__ import annotations

from pathlib import Path

from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import Confidence, Finding, Severity, Verification
from binance_guard.record import replace
from binance_guard.report import Report
from binance_guard.report.advice import ADVICE
from binance_guard.report.text import incidents, render
from binance_guard.sources.source import Skipped
from testing.keys import fake_key

KEY, SECRET = fake_key("text-key"), fake_key("text-secret")
OTHER = fake_key("text-other")
EXAMPLE = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"


def _pair() -> list[Finding]:
    found = scan_bytes(f"BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n".encode(), ".env")
    assert [f.type for f in found] == ["binance_api_key", "binance_secret_key"]
    return found


def _single(path: str = "bot.py", secret: str = OTHER, **changes: object) -> Finding:
    finding = Finding(
        type="binance_api_key",
        path=path,
        line=7,
        column=12,
        secret=secret,
        confidence=Confidence.MEDIUM,
        reasons=("assigned to 'API_KEY'", "Binance context: elsewhere in the file"),
    )
    return replace(finding, **changes)


def test_a_key_and_its_secret_are_one_incident() -> None:
    pair = _pair()
    assert incidents(pair) == [pair]
    out = render(Report(pair))
    assert "binance-guard: 2 credentials (1 incident) in 1 file:" in out
    assert "[HIGH] Binance API key + Binance secret key" in out
    assert f"  .env:1:17  Binance API key  {KEY[:4]}********{KEY[-4:]}" in out
    assert f"  .env:2:20  Binance secret key  {SECRET[:4]}********{SECRET[-4:]}" in out
    assert "the key and its secret sit together: one leak, revoke the key" in out
    assert "paired with" not in out  # the pairing is the incident, not a reason
    assert out.count("why: ") == 2
    assert out.rstrip().endswith(ADVICE.splitlines()[-1])
    assert KEY not in out and SECRET not in out


def test_unpaired_findings_stand_alone_and_counts_are_plural() -> None:
    findings = [*_pair(), _single(), _single(path="other.py", line=3)]
    groups = incidents(findings)
    assert [len(g) for g in groups] == [2, 1, 1]
    out = render(Report(findings))
    assert "binance-guard: 4 credentials (3 incidents) in 3 files:" in out
    assert "[MEDIUM] Binance API key\n  bot.py:7:12" in out
    assert out.count("one leak, revoke the key") == 1
    one = render(Report([_single()]))
    assert "binance-guard: 1 credential (1 incident) in 1 file:" in one


def test_same_line_different_columns_are_separate_incidents() -> None:
    findings = [_single(column=1), _single(column=80, secret=KEY)]
    assert len(incidents(findings)) == 2


def test_public_examples_are_labelled_and_need_no_advice() -> None:
    """The title names where Binance printed the key; one from a store without it still
    says it is a public example."""
    (example,) = scan_bytes(f"curl -H 'X-MBX-APIKEY: {EXAMPLE}'\n".encode(), "docs.md")
    out = render(Report([example]))
    assert (
        "(public example published in Binance's spot API docs (binance/binance-spot-api-docs: "
        "rest-api.md SIGNED request examples): not a leak)" in out
    )
    docs_secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    docs_pair = f"API_KEY={EXAMPLE}\nSECRET_KEY={docs_secret}\n"
    pair = render(Report(scan_bytes(docs_pair.encode(), "binance.env")))
    assert "Binance API key + Binance secret key (public example" in pair
    assert "revoke" not in pair  # nothing to revoke
    stored = _single(path="docs.md", secret=EXAMPLE, public_example=True)
    assert "Binance API key (public example: not a leak)" in render(Report([stored]))
    assert "What to do now" not in out
    mixed = render(Report([example, _single()]))
    assert mixed.count("public example") == 1
    assert "What to do now" in mixed
    assert "What to do now" not in render(Report([_single()]), advice=False)


def test_skipped_files_are_summarised_or_listed() -> None:
    skipped = [
        Skipped("a.png", "binary"),
        Skipped("b.png", "binary"),
        Skipped("big.json", "larger than 100 bytes (5000)"),
        Skipped("secret.env", "unreadable: Permission denied"),
    ]
    out = render(Report([], skipped, notes=["repo: not in a git repository, scanning every file"]))
    assert out.splitlines() == [
        "note: repo: not in a git repository, scanning every file",
        "skipped: 2 binary, 1 larger than 100 bytes, 1 unreadable (--verbose lists them)",
        "binance-guard: no Binance credentials found.",
    ]
    verbose = render(Report([], skipped), verbose=True)
    assert "skipped big.json: larger than 100 bytes (5000)" in verbose
    assert "skipped secret.env: unreadable: Permission denied" in verbose
    assert "--verbose" not in verbose


def test_verification_is_shown_once_per_incident_with_incident_steps() -> None:
    live = Verification(
        status="live",
        message="key works",
        permissions={"enableReading": True, "enableWithdrawals": True},
        ip_restricted=False,
        created="2024-01-01",
        key_age_days=400,
        severity=Severity.CRITICAL,
        risks=("withdrawals are enabled",),
    )
    key, secret = _pair()
    out = render(Report([replace(key, verification=live), secret]))
    assert out.count("verified: LIVE, severity CRITICAL") == 1
    assert "permissions: enableReading, enableWithdrawals" in out
    assert "NOT IP-restricted" in out and "risk: withdrawals are enabled" in out
    rejected = Verification(status="rejected", message="Binance does not know this key")
    out = render(Report([_single(verification=rejected)]))
    assert "verified: REJECTED: Binance does not know this key" in out
    assert "LIVE" not in out


def test_private_keys_show_only_their_header_and_length() -> None:
    body = "MC4CAQAwBQYDK2VwBCIEI" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t"
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    finding = _single(type="private_key", secret=pem, path="k.pem", algorithm="ed25519")
    out = render(Report([finding]))
    assert "private key (ed25519)  -----BEGIN PRIVATE KEY----- …(" in out
    assert body not in out and body[:20] not in out


def test_history_text_fits_the_width_without_cutting_values(tmp_path: Path) -> None:
    """80 columns: one block per secret, each value whole; wide terminals: a table."""
    from testing.cli import run_cli
    from testing.git_repo import commit, make_repo
    from testing.keys import fake_key

    repo = make_repo(tmp_path / "repo")
    path = "services/exchange_connectors/binance_spot_trading_strategy/settings_production.py"
    key, secret = fake_key("wide-key"), fake_key("wide-secret")
    commit(repo, {path: f"from binance.client import Client\nc = Client('{key}', '{secret}')\n"})
    for columns, table in (("80", False), ("60", False), ("250", True)):
        proc = run_cli("history", ".", "--no-progress", cwd=repo, env={"COLUMNS": columns})
        assert proc.returncode == 1, proc.stderr
        lines = proc.stdout.split("What to do now")[0].splitlines()
        assert any(f"{path}:2" in line for line in lines), proc.stdout  # never cut
        header = [line.split() for line in lines if line.startswith("secret ")]
        assert (
            header[:1] == [["secret", "status", "where", "introduced", "reachable", "from"]]
        ) is table
        for line in lines[3:]:  # the table or blocks (the summary line above is prose)
            assert len(line) <= int(columns) or path in line, line


def test_history_text_wraps_no_line_into_a_workflow_command(tmp_path: Path) -> None:
    """A wrapped cell or block starts a new line: one of a file name's words ("x ::add-mask::",
    "##[group]") must not start it as the runner's "::" command, at any width."""
    from testing.cli import run_cli
    from testing.git_repo import commit, make_repo
    from testing.github import workflow_commands
    from testing.keys import fake_key

    repo = make_repo(tmp_path / "repo")
    name = "a ::add-mask::b ::error::c ##[group]d.py"
    key = fake_key("wrapped-name")
    commit(repo, {name: f"BINANCE_API_KEY = '{key}'\n"})
    for columns in range(30, 200, 3):
        proc = run_cli("history", ".", "--no-progress", cwd=repo, env={"COLUMNS": str(columns)})
        assert proc.returncode == 1, proc.stderr
        assert workflow_commands(proc.stdout) == [], (columns, proc.stdout)
