"""Verification against a real HTTP server that checks signatures like Binance does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import Finding
from binance_guard.verify import InsecureURL, Settings
from binance_guard.verify.client import Client, check_base_url
from binance_guard.verify.signing import hmac_signer
from binance_guard.verify.verifier import verify_credential, verify_findings
from testing.cli import run_cli
from testing.fake_binance import Account, FakeBinance, running
from testing.keys import fake_key

KEY, SECRET = fake_key("verify-key"), fake_key("verify-secret")


@pytest.fixture
def binance() -> Iterator[FakeBinance]:
    with running(FakeBinance()) as fake:
        yield fake


def _bot(key: str, secret: str) -> bytes:
    return f'from binance.client import Client\nclient = Client("{key}", "{secret}")\n'.encode()


def _verified(fake: FakeBinance, data: bytes) -> list[Finding]:
    return verify_findings(scan_bytes(data, "bot.py"), Client(Settings(fake.url)))


def _no_secret_sent(fake: FakeBinance, *secrets: str) -> None:
    assert fake.requests, "the server saw no request"
    for request in fake.requests:
        for secret in secrets:
            assert secret not in request.raw


@pytest.mark.parametrize(
    ("account", "severity", "rotation_due"),
    [
        (Account(rights={"enableWithdrawals": True}, ip_restrict=True), "critical", False),
        (Account(rights={"enableSpotAndMarginTrading": True}), "high", False),
        (Account(rights={"enableFutures": True}, ip_restrict=True), "medium", False),
        (Account(ip_restrict=True), "low", False),
        (Account(ip_restrict=True, age_days=200.5), "medium", True),
        (Account(), "medium", False),
    ],
)
def test_live_hmac_key_severity(
    binance: FakeBinance, account: Account, severity: str, rotation_due: bool
) -> None:
    account.secret = SECRET
    binance.accounts[KEY] = account
    findings = _verified(binance, _bot(KEY, SECRET))
    assert [f.type for f in findings] == ["binance_api_key", "binance_secret_key"]
    for finding in findings:
        result = finding.verification
        assert result is not None
        assert (result.status, result.severity, result.rotation_due) == (
            "live",
            severity,
            rotation_due,
        )
        assert result.ip_restricted is account.ip_restrict
        assert result.key_age_days == int(account.age_days)
    _no_secret_sent(binance, SECRET)


def test_ip_restricted_key_from_untrusted_ip_is_rejected_not_dead(binance: FakeBinance) -> None:
    binance.accounts[KEY] = Account(secret=SECRET, ip_restrict=True, trusted_ips=("10.0.0.1",))
    result = _verified(binance, _bot(KEY, SECRET))[0].verification
    assert result is not None
    assert (result.status, result.code) == ("rejected", -2015)
    assert "not proof that it is dead" in result.message


def test_unknown_key_is_rejected(binance: FakeBinance) -> None:
    result = _verified(binance, _bot(KEY, SECRET))[0].verification
    assert result is not None and result.status == "rejected"


def test_wrong_secret_is_a_mismatch(binance: FakeBinance) -> None:
    binance.accounts[KEY] = Account(secret=fake_key("other"))
    result = _verified(binance, _bot(KEY, SECRET))[0].verification
    assert result is not None
    assert (result.status, result.code) == ("secret_mismatch", -1022)
    _no_secret_sent(binance, SECRET)


def test_malformed_key_is_invalid_format(binance: FakeBinance) -> None:
    result = verify_credential(Client(Settings(binance.url)), "short-key", hmac_signer(SECRET), 0.0)
    assert (result.status, result.code) == ("invalid_format", -2014)


def test_lone_api_key_is_skipped(binance: FakeBinance) -> None:
    findings = _verified(binance, f'BINANCE_API_KEY = "{KEY}"\n'.encode())
    assert findings[0].verification is not None
    assert findings[0].verification.status == "skipped"
    assert binance.requests == []


def test_clock_skew_is_corrected_with_server_time() -> None:
    with running(FakeBinance(clock_skew_ms=120_000)) as fake:
        fake.accounts[KEY] = Account(secret=SECRET)
        result = _verified(fake, _bot(KEY, SECRET))[0].verification
        assert result is not None and result.status == "live"
        assert any(r.path == "/api/v3/time" for r in fake.requests)


def test_retry_after_is_honoured(binance: FakeBinance) -> None:
    binance.accounts[KEY] = Account(secret=SECRET, throttle=1, retry_after=1)
    result = _verified(binance, _bot(KEY, SECRET))[0].verification
    assert result is not None and result.status == "live"
    limited, retried = [r for r in binance.requests if r.path != "/api/v3/time"]
    assert retried.at - limited.at >= 1.0


def test_long_retry_after_reports_rate_limited(binance: FakeBinance) -> None:
    binance.accounts[KEY] = Account(secret=SECRET, throttle=5, retry_after=600)
    result = _verified(binance, _bot(KEY, SECRET))[0].verification
    assert result is not None and result.status == "rate_limited"
    assert "600" in result.message


def test_unreachable_server() -> None:
    with running(FakeBinance()) as fake:
        url = fake.url
    result = _verified_url(url)
    assert result == "unreachable"


def _verified_url(url: str) -> str:
    findings = verify_findings(scan_bytes(_bot(KEY, SECRET), "bot.py"), Client(Settings(url)))
    assert findings[0].verification is not None
    return findings[0].verification.status


def test_plain_http_only_to_loopback() -> None:
    assert check_base_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert check_base_url("https://testnet.binance.vision") == "https://testnet.binance.vision"
    with pytest.raises(InsecureURL):
        check_base_url("http://api.binance.com")


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pass@api.binance.com",
        "https://api.binance.com/?x=1",
        "https://api.binance.com/#frag",
        "https:///path",
        "ftp://api.binance.com",
        "api.binance.com",
        "https://api.binance.com:99999",
        "https://api.binance.com:-1",
        "http://[::1",
        "https://pass@[::1",
    ],
)
def test_base_urls_that_are_not_plain_https_are_refused(url: str) -> None:
    with pytest.raises(InsecureURL, match=r"expected https://HOST|use https") as refused:
        check_base_url(url)
    assert "pass" not in str(refused.value)


def test_a_malformed_api_url_is_a_one_line_error(tmp_path: Path) -> None:
    """urllib raises ValueError for a port out of range or an unclosed [: it was an
    internal error."""
    (tmp_path / "bot.py").write_bytes(_bot(KEY, SECRET))
    proc = run_cli("scan", str(tmp_path), "--verify", "--api-url", "https://x:99999")
    assert proc.returncode == 2
    assert proc.stderr == (
        "binance-guard: error: API URL: expected https://HOST[:PORT][/PATH], no user, query or #\n"
    )


def _pem(private_key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_asymmetric_keys_sign_without_sending_the_private_key(
    binance: FakeBinance, kind: str
) -> None:
    private_key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey = (
        ed25519.Ed25519PrivateKey.generate()
        if kind == "ed25519"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    pem = _pem(private_key)
    binance.accounts[KEY] = Account(
        public_key=private_key.public_key(), rights={"enableWithdrawals": True}
    )
    config = json.dumps({"exchange": "binance", "apiKey": KEY, "privateKey": pem}, indent=1)
    client = Client(Settings(binance.url))
    findings = verify_findings(scan_bytes(config.encode(), "config.json"), client)
    by_type = {f.type: f.verification for f in findings}
    assert set(by_type) == {"binance_api_key", "binance_private_key"}
    for result in by_type.values():
        assert result is not None
        assert (result.status, result.severity) == ("live", "critical")
    body = "".join(pem.strip().splitlines()[1:-1])
    for request in binance.requests:
        assert body[:40] not in request.raw and body[-40:] not in request.raw


def test_verify_command_json(binance: FakeBinance, tmp_path: Path) -> None:
    binance.accounts[KEY] = Account(secret=SECRET, rights={"enableWithdrawals": True})
    (tmp_path / "bot.py").write_bytes(_bot(KEY, SECRET))
    proc = run_cli("verify", str(tmp_path / "bot.py"), "--format", "json", "--api-url", binance.url)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert [f["verification"]["status"] for f in findings] == ["live", "live"]
    assert findings[0]["verification"]["severity"] == "critical"
    assert SECRET not in proc.stdout + proc.stderr


def test_scan_verify_text_prints_incident_steps(binance: FakeBinance, tmp_path: Path) -> None:
    binance.accounts[KEY] = Account(secret=SECRET)
    (tmp_path / "bot.py").write_bytes(_bot(KEY, SECRET))
    proc = run_cli(
        "scan", str(tmp_path / "bot.py"), "--verify", env={"BINANCE_GUARD_API_URL": binance.url}
    )
    assert "verified: LIVE" in proc.stdout
    assert "Delete the key now" in proc.stdout
    assert SECRET not in proc.stdout + proc.stderr


def test_scan_without_verify_never_calls_binance(binance: FakeBinance, tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_bytes(_bot(KEY, SECRET))
    proc = run_cli("scan", str(tmp_path / "bot.py"), env={"BINANCE_GUARD_API_URL": binance.url})
    assert proc.returncode == 1
    assert binance.requests == []


@pytest.mark.parametrize(
    ("account", "code"),
    [
        (Account(secret=SECRET, ip_restrict=True), 0),
        (Account(secret=SECRET, rights={"enableWithdrawals": True}), 1),
        (Account(secret=fake_key("wrong")), 2),
    ],
)
def test_audit_exit_code_reflects_severity(
    binance: FakeBinance, account: Account, code: int
) -> None:
    binance.accounts[KEY] = account
    proc = run_cli(
        "audit",
        "--api-url",
        binance.url,
        env={"BINANCE_API_KEY": KEY, "BINANCE_API_SECRET": SECRET},
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert KEY not in proc.stdout and SECRET not in proc.stdout + proc.stderr


def test_audit_needs_credentials() -> None:
    proc = run_cli("audit", env={"BINANCE_API_KEY": "", "BINANCE_API_SECRET": ""})
    assert proc.returncode == 2
    assert "BINANCE_API_KEY" in proc.stderr


def test_history_verify_attaches_results(binance: FakeBinance, tmp_path: Path) -> None:
    from testing.git_repo import commit, make_repo

    repo = make_repo(tmp_path / "repo")
    commit(repo, {"bot.py": _bot(KEY, SECRET).decode()})
    commit(repo, {"bot.py": "import os\n"})
    binance.accounts[KEY] = Account(secret=SECRET, rights={"enableFutures": True})
    proc = run_cli("history", str(repo), "--verify", "--format", "json", "--api-url", binance.url)
    findings = json.loads(proc.stdout)["findings"]
    assert [(f["history_only"], f["verification"]["severity"]) for f in findings] == [
        (True, "high"),
        (True, "high"),
    ]
    _no_secret_sent(binance, SECRET)


def test_audit_with_an_ed25519_private_key_file(binance: FakeBinance, tmp_path: Path) -> None:
    private_key = ed25519.Ed25519PrivateKey.generate()
    pem_file = tmp_path / "key.pem"
    pem_file.write_text(_pem(private_key))
    binance.accounts[KEY] = Account(public_key=private_key.public_key(), ip_restrict=True)
    proc = run_cli(
        "audit",
        "--private-key-file",
        str(pem_file),
        "--format",
        "json",
        "--api-url",
        binance.url,
        env={"BINANCE_API_KEY": KEY},
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["verification"]["severity"] == "low"
    assert result["api_key"] == f"{KEY[:4]}********{KEY[-4:]}"


def _encrypted_pem(private_key: ed25519.Ed25519PrivateKey, passphrase: bytes) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()


@pytest.mark.parametrize(
    ("content", "passphrase", "words"),
    [
        ("encrypted", "wrong", "encrypted private key: wrong passphrase"),
        ("encrypted", "", "encrypted private key: no passphrase given"),
        (b"\x00\xff\xfe binary junk", "", "not a PEM private key"),
        ("just some text\n", "", "not a PEM private key"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "damaged"),
    ],
)
def test_audit_key_file_problems_are_one_line_errors(
    tmp_path: Path, content: str | bytes, passphrase: str, words: str
) -> None:
    pem_file = tmp_path / "key.pem"
    if content == "encrypted":
        content = _encrypted_pem(ed25519.Ed25519PrivateKey.generate(), b"right")
    pem_file.write_bytes(content if isinstance(content, bytes) else content.encode())
    proc = run_cli(
        "audit",
        "--private-key-file",
        str(pem_file),
        env={"BINANCE_API_KEY": KEY, "BINANCE_PRIVATE_KEY_PASSPHRASE": passphrase},
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"binance-guard: error: {pem_file}: ")
    assert words in proc.stderr and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr and "ValueError" not in proc.stderr


def test_audit_with_the_right_passphrase_and_an_unencrypted_key_beside_it(
    binance: FakeBinance, tmp_path: Path
) -> None:
    """The passphrase is used only for an encrypted key: one variable for a mixed setup."""
    private_key = ed25519.Ed25519PrivateKey.generate()
    binance.accounts[KEY] = Account(public_key=private_key.public_key(), ip_restrict=True)
    for name, pem in [
        ("encrypted.pem", _encrypted_pem(private_key, b"right")),
        ("plain.pem", _pem(private_key)),
    ]:
        (tmp_path / name).write_text(pem)
        proc = run_cli(
            "audit",
            "--private-key-file",
            str(tmp_path / name),
            "--api-url",
            binance.url,
            env={"BINANCE_API_KEY": KEY, "BINANCE_PRIVATE_KEY_PASSPHRASE": "right"},
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


BAD_SETTINGS = [
    ("--verify-timeout", "0"),
    ("--verify-timeout", "-1"),
    ("--verify-timeout", "nan"),
    ("--verify-timeout", "abc"),
    ("--verify-deadline", "inf"),
    ("--verify-deadline", "0"),
    ("--max-response-bytes", "0"),
    ("--max-response-bytes", "-5"),
    ("--max-response-bytes", "1.5"),
]


@pytest.mark.parametrize(
    ("command", "flag", "value"),
    [("scan", flag, value) for flag, value in BAD_SETTINGS]
    + [(command, *BAD_SETTINGS[0]) for command in ("verify", "history", "ci", "audit")],
)
def test_bad_verify_settings_are_usage_errors(command: str, flag: str, value: str) -> None:
    proc = run_cli(command, f"{flag}={value}")
    assert proc.returncode == 2
    assert f"error: argument {flag}: expected" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_verify_settings_accept_sane_values(binance: FakeBinance, tmp_path: Path) -> None:
    binance.accounts[KEY] = Account(secret=SECRET, ip_restrict=True)
    (tmp_path / "bot.py").write_bytes(_bot(KEY, SECRET))
    proc = run_cli(
        "verify",
        str(tmp_path / "bot.py"),
        "--api-url",
        binance.url,
        "--verify-timeout",
        "2.5",
        "--verify-deadline",
        "30",
        "--max-response-bytes",
        "4096",
    )
    assert proc.returncode == 1, proc.stderr
    assert "verified: LIVE" in proc.stdout
