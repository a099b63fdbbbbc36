"""The verify client against servers that redirect, drip, flood, rate-limit and lie: real
servers on 127.0.0.1. Nothing reaches a second host, every run ends by its deadline, every
failure is a per-key status and exit 2, never a traceback."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from binance_guard.detection.scanner import scan_bytes
from binance_guard.finding import Finding, Verification
from binance_guard.verify import Settings
from binance_guard.verify.client import Client
from binance_guard.verify.verifier import verify_findings
from testing.cli import run_cli
from testing.fake_binance import Account, FakeBinance, running
from testing.github import assert_no_secret
from testing.hostile_http import (
    LIVE_BODY,
    TIME_PATH,
    ConnectProxy,
    Hostile,
    answer,
    drip,
    flood,
    hang,
    head,
    localhost_tls,
    proxying,
    raw,
    redirect,
    serving,
)
from testing.keys import fake_key

PAIRS = [(fake_key(f"hostile-key-{i}"), fake_key(f"hostile-secret-{i}")) for i in range(200)]
# A correctness bound, not a benchmark: runs configured for 2 s must be over long before this.
ENDS_WELL_WITHIN = 10.0


def _bot(key: str, secret: str) -> bytes:
    return f'from binance.client import Client\nclient = Client("{key}", "{secret}")\n'.encode()


def _findings(count: int = 1) -> list[Finding]:
    return [
        finding
        for i, (key, secret) in enumerate(PAIRS[:count])
        for finding in scan_bytes(_bot(key, secret), f"bot{i}.py")
    ]


def _keys(findings: list[Finding]) -> list[Verification]:
    results = [f.verification for f in findings if f.type == "binance_api_key"]
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _verify(
    url: str, count: int = 1, key_timeout: float = 15.0, deadline: float = 120.0
) -> list[Verification]:
    client = Client(Settings(url, key_timeout=key_timeout, deadline=deadline))
    return _keys(verify_findings(_findings(count), client))


@pytest.fixture
def sink() -> Iterator[Hostile]:
    """Where a redirect points: it would answer "live" to anything that reached it."""
    with serving(Hostile(answer(200, LIVE_BODY), time=answer(200, {"serverTime": 0}))) as server:
        yield server


def _bot_files(tmp_path: Path, count: int) -> Path:
    for i, (key, secret) in enumerate(PAIRS[:count]):
        (tmp_path / f"bot{i}.py").write_bytes(_bot(key, secret))
    return tmp_path


def _assert_one_line_error(stderr: str) -> None:
    """One line says why the run failed: an error, or what it could not check (INCOMPLETE)."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "error:" in line or "INCOMPLETE:" in line]
    assert len(errors) == 1, stderr


# Redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("path", [TIME_PATH, "/sapi/v1/account/apiRestrictions"])
def test_a_redirect_is_not_followed(sink: Hostile, status: int, path: str) -> None:
    target = f"{sink.url}{path}?stolen=1"
    behaviour = redirect(status, target)
    hostile = Hostile(behaviour, time=behaviour if path == TIME_PATH else None)
    with serving(hostile):
        [result] = _verify(hostile.url)
    assert [r.path for r in hostile.requests][-1] == path
    assert sink.requests == []
    assert result.status == "invalid_answer"
    assert f"HTTP {status}: redirect to {sink.url} not followed" in result.message


def test_a_relative_redirect_is_not_followed_either() -> None:
    with serving(Hostile(redirect(302, "/elsewhere"))) as hostile:
        [result] = _verify(hostile.url)
    assert [r.path for r in hostile.requests] == [TIME_PATH, "/sapi/v1/account/apiRestrictions"]
    assert result.status == "invalid_answer" and "not followed" in result.message


def test_https_to_http_redirect_leaks_nothing(
    sink: Hostile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls, ca_file = localhost_tls(tmp_path)
    hostile = Hostile(redirect(302, f"{sink.url}/sapi/v1/account/apiRestrictions"))
    (tmp_path / "project").mkdir()
    _bot_files(tmp_path / "project", 1)
    with serving(hostile, tls):
        assert hostile.url.startswith("https://")
        proc = run_cli(
            "verify",
            str(tmp_path / "project"),
            "--format",
            "json",
            "--api-url",
            hostile.url,
            env={"SSL_CERT_FILE": str(ca_file), "NO_PROXY": "*"},
        )
    assert len(hostile.signed_requests) == 1  # TLS worked: the key went to the https server
    assert sink.requests == []
    assert proc.returncode == 2, proc.stderr
    _assert_one_line_error(proc.stderr)
    result = json.loads(proc.stdout)["findings"][0]["verification"]
    assert result["status"] == "invalid_answer"
    assert f"redirect to {sink.url} not followed" in result["message"]


# Proxies: HTTPS_PROXY is honoured (urllib did), through a CONNECT tunnel the proxy cannot read


@pytest.fixture
def tls_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hostile]:
    """An https API on 127.0.0.1 answering "live", trusted through SSL_CERT_FILE."""
    tls, ca_file = localhost_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    for name in ("NO_PROXY", "no_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serving(Hostile(answer(200, LIVE_BODY)), tls) as server:
        yield server


def test_https_through_a_connect_proxy(tls_api: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    with proxying(ConnectProxy()) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url.replace("://", "://bot:p%40ss@"))
        [result] = _verify(tls_api.url)
    assert result.status == "live", result.message
    assert len(tls_api.signed_requests) == 1
    port = tls_api.url.rsplit(":", 1)[1]
    assert all(r.startswith(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n") for r in proxy.requests)
    assert "Proxy-Authorization: Basic Ym90OnBAc3M=\r\n" in proxy.requests[0]
    key = PAIRS[0][0].encode()
    assert len(proxy.relayed) > 1000 and key not in proxy.relayed  # relayed, and encrypted
    assert b"X-MBX-APIKEY" not in proxy.relayed


def test_no_proxy_goes_direct(tls_api: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    with proxying(ConnectProxy()) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        [result] = _verify(tls_api.url)
    assert result.status == "live" and tls_api.signed_requests
    assert proxy.requests == []


@pytest.mark.parametrize(
    "answer_bytes",
    [
        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/\r\n\r\n",
    ],
)
def test_a_proxy_that_refuses_the_tunnel(
    tls_api: Hostile, monkeypatch: pytest.MonkeyPatch, answer_bytes: bytes
) -> None:
    with proxying(ConnectProxy(answer_bytes)) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        [result] = _verify(tls_api.url)
    assert proxy.requests and tls_api.requests == []
    assert result.status == "unreachable"
    assert "refused the tunnel to 127.0.0.1:" in result.message
    assert f"HTTP {answer_bytes.split()[1].decode()}" in result.message


def test_a_bad_https_proxy_setting_is_a_one_line_error(tmp_path: Path) -> None:
    proc = run_cli(
        "verify",
        str(_bot_files(tmp_path, 1)),
        "--api-url",
        "https://127.0.0.1:9",
        env={"HTTPS_PROXY": "socks5://bot:secret-password@127.0.0.1:1080", "NO_PROXY": ""},
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "binance-guard: error: HTTPS_PROXY: expected http://[USER:PASSWORD@]HOST[:PORT]\n"
    )


# Deadlines


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(drip(head(200, {"Content-Length": "100000"}) + b"{"), id="body-drip"),
        pytest.param(drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"), id="header-drip"),
        pytest.param(drip(b"H", b"T"), id="status-line-drip"),
        pytest.param(hang, id="no-answer"),
    ],
)
def test_slow_servers_cannot_outlast_the_deadlines(behaviour: object) -> None:
    with serving(Hostile(behaviour)) as hostile:  # type: ignore[arg-type]
        started = time.monotonic()
        results = _verify(hostile.url, count=4, key_timeout=0.8, deadline=2.0)
        elapsed = time.monotonic() - started
    assert elapsed < ENDS_WELL_WITHIN
    assert hostile.signed_requests, "the server was never asked"
    statuses = [r.status for r in results]
    assert statuses[0] == "unreachable"
    assert "no complete answer within this key's 0.8 s" in results[0].message
    assert statuses[-1] == "not_checked"
    assert "2 s deadline passed (--verify-deadline)" in results[-1].message
    assert set(statuses) == {"unreachable", "not_checked"}


def test_slow_time_endpoint_is_bounded_too() -> None:
    hostile = Hostile(answer(200, LIVE_BODY), time=drip(head(200) + b'{"serverTime": '))
    with serving(hostile):
        started = time.monotonic()
        [result] = _verify(hostile.url, key_timeout=1.0, deadline=2.0)
        assert time.monotonic() - started < ENDS_WELL_WITHIN
    assert result.status == "unreachable"
    assert hostile.signed_requests == []


def test_drip_through_the_command_line_exits_2_within_the_deadline(tmp_path: Path) -> None:
    with serving(Hostile(drip(head(200) + b"{"))) as hostile:
        started = time.monotonic()
        proc = run_cli(
            "scan",
            str(_bot_files(tmp_path, 3)),
            "--verify",
            "--format",
            "json",
            "--api-url",
            hostile.url,
            "--verify-timeout",
            "1",
            "--verify-deadline",
            "2",
        )
        elapsed = time.monotonic() - started
    assert elapsed < ENDS_WELL_WITHIN + 5  # + interpreter start-up
    assert proc.returncode == 2, proc.stderr
    _assert_one_line_error(proc.stderr)
    assert "INCOMPLETE: " in proc.stderr and "key(s) not verified (" in proc.stderr
    assert "verification: 3 of 3 key(s) could not be checked" in proc.stdout
    findings = json.loads(proc.stdout)["findings"]
    assert len(findings) == 6  # the findings are still reported
    assert {f["verification"]["status"] for f in findings} <= {"unreachable", "not_checked"}


# Size


@pytest.mark.parametrize(
    "headers",
    [{}, {"Transfer-Encoding": "chunked"}, {"Content-Length": str(3 << 30)}],
    ids=["until-close", "chunked", "declared-3GB"],
)
def test_a_flood_is_cut_at_the_size_cap(headers: dict[str, str]) -> None:
    with serving(Hostile(flood(headers))) as hostile:
        [result] = _verify(hostile.url, key_timeout=30, deadline=30)
    assert result.status == "invalid_answer", result.message
    assert "larger than 1048576 bytes (--max-response-bytes)" in result.message or (
        "malformed HTTP answer" in result.message  # chunked: the spaces are no chunk size
    )
    # What the client stopped taking: socket buffers' worth, not gigabytes.
    assert hostile.sent < 64 << 20


def test_max_response_bytes_flag(tmp_path: Path) -> None:
    key, secret = PAIRS[0]
    with running(FakeBinance()) as fake:
        fake.accounts[key] = Account(secret=secret)
        args = ["verify", str(_bot_files(tmp_path, 1)), "--api-url", fake.url, "--format", "json"]
        small = run_cli(*args, "--max-response-bytes", "100")
        enough = run_cli(*args, "--max-response-bytes", "2000")
    assert small.returncode == 2
    assert (
        "larger than 100 bytes"
        in json.loads(small.stdout)["findings"][0]["verification"]["message"]
    )
    assert enough.returncode == 1, enough.stderr
    assert json.loads(enough.stdout)["findings"][0]["verification"]["status"] == "live"


# Rate limits


def test_429_retry_after_holds_back_every_later_request() -> None:
    with running(FakeBinance()) as fake:
        for key, secret in PAIRS[:5]:
            fake.accounts[key] = Account(secret=secret)
        fake.queued = [(429, {"code": -1003, "msg": "Too many requests."}, {"Retry-After": "1"})]
        results = _verify(fake.url, count=5)
    assert [r.status for r in results] == ["live"] * 5
    signed = [r for r in fake.requests if r.path != TIME_PATH]
    assert len(signed) == 6  # one retry in all, not one per key
    assert all(later.at - signed[0].at >= 1.0 for later in signed[1:])


@pytest.mark.parametrize("retry_after", ["0", "-5", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_429_without_a_wait_still_holds_back_every_later_request(retry_after: str) -> None:
    """Retry-After 0, negative or a past date was taken at its word: 50 keys sent 150
    requests in under a second, the hammering Binance bans IPs for."""
    with serving(Hostile(answer(429, {}, {"Retry-After": retry_after}))) as hostile:
        results = _verify(hostile.url, count=50, deadline=2.5)
    signed = hostile.signed_requests
    assert all(b.at - a.at >= 0.9 for a, b in itertools.pairwise(signed))
    assert len(signed) <= 4  # one a second back-off: at most 3 s of requests
    assert {r.status for r in results} == {"rate_limited", "not_checked"}


def test_long_retry_after_stops_sending_for_every_key() -> None:
    with running(FakeBinance()) as fake:
        fake.queued = [(429, {}, {"Retry-After": "600"})]
        started = time.monotonic()
        results = _verify(fake.url, count=200)
        assert time.monotonic() - started < ENDS_WELL_WITHIN
    assert len([r for r in fake.requests if r.path != TIME_PATH]) == 1
    assert results[0].status == "rate_limited"
    assert "Binance asks to wait 600 s past this key's deadline" in results[0].message
    assert {r.status for r in results[1:]} == {"not_checked"}
    assert "HTTP 429 Retry-After" in results[1].message


@pytest.mark.parametrize(
    ("status", "first", "words"),
    [(418, "rate_limited", "banned this IP"), (451, "unreachable", "no API to this location")],
)
def test_418_and_451_stop_the_whole_run(status: int, first: str, words: str) -> None:
    with running(FakeBinance()) as fake:
        fake.queued = [(status, {"code": -1003, "msg": "Way too many"}, {"Retry-After": "120"})]
        results = _verify(fake.url, count=20)
    assert len([r for r in fake.requests if r.path != TIME_PATH]) == 1
    assert results[0].status == first and words in results[0].message
    assert "the run stopped" in results[0].message
    assert {r.status for r in results[1:]} == {"not_checked"}
    assert all(words in r.message for r in results[1:])


def test_418_through_the_command_line(tmp_path: Path) -> None:
    with running(FakeBinance()) as fake:
        fake.queued = [(418, {}, {"Retry-After": "60"})]
        proc = run_cli("verify", str(_bot_files(tmp_path, 3)), "--api-url", fake.url)
    assert proc.returncode == 2
    _assert_one_line_error(proc.stderr)
    assert "note: verification: 3 of 3 key(s) could not be checked (rate_limited: HTTP 418" in (
        proc.stdout
    )
    assert proc.stdout.count("verified: NOT_CHECKED") == 2


# Answers that are not what Binance sends


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        (answer(200, b"<html>hello</html>"), "HTTP 200: the answer is not JSON"),
        (answer(502, b"<html>Bad gateway</html>"), "HTTP 502: the answer is not JSON"),
        (answer(200, [1, 2]), "the answer is a JSON list, not an object"),
        (answer(200, "live"), "the answer is a JSON str, not an object"),
        (answer(200, b"[" * 200_000), "the answer is not JSON"),
        (answer(200, b"1" * 100_000), "the answer is not JSON"),
        (answer(200, {"ipRestrict": "no"}), 'ipRestrict is "no", not true/false'),
        (answer(200, {**LIVE_BODY, "enableWithdrawals": "false"}), "enableWithdrawals is"),
        (answer(200, {**LIVE_BODY, "enableFutures": 1}), "enableFutures is 1"),
        (answer(200, {**LIVE_BODY, "createTime": 1e15}), "createTime is 1000000000000000.0"),
        (answer(200, {**LIVE_BODY, "createTime": True}), "createTime is true"),
        (answer(200, {**LIVE_BODY, "createTime": -5}), "createTime is -5"),
        (answer(200, {**LIVE_BODY, "createTime": 10**30}), "createTime is 1000000"),
        (answer(200, {"enableReading": True}), "ipRestrict is null"),
        (answer(400, {"code": "-2015", "msg": "x"}), 'unexpected answer: HTTP 400 code "-2015"'),
        (answer(400, {"code": True}), "unexpected answer: HTTP 400 code true"),
        (answer(500, {"code": -1001, "msg": "Internal error"}), "HTTP 500 code -1001"),
        (raw(b"HTTP/1.1 abc\r\n\r\n"), "malformed HTTP answer (BadStatusLine)"),
        (raw(b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n"), "malformed HTTP answer"),
        (raw(b"HTTP/1.1 200 OK\r\nX: " + b"y" * 100_000 + b"\r\n\r\n"), "malformed HTTP"),
        (raw(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{}"), "48 bytes short"),
        (raw(b""), "closed the connection without answering"),
        (answer(302, {}), "a redirect without a target; not followed"),
    ],
)
def test_hostile_answers_are_a_status_never_a_crash(behaviour: object, words: str) -> None:
    with serving(Hostile(behaviour)) as hostile:  # type: ignore[arg-type]
        [result] = _verify(hostile.url)
    assert hostile.signed_requests
    assert result.status in ("invalid_answer", "unreachable")
    assert words in result.message
    assert len(result.message) < 400


@pytest.mark.parametrize(
    ("server_time", "words"),
    [
        ([1, 2], "serverTime [1,2]"),
        (True, "serverTime true"),
        ("1700000000000", 'serverTime "1700000000000"'),
        (1e15, "serverTime 1000000000000000.0"),
        (-5, "serverTime -5 is not a plausible time"),
        (10**30, "is not a plausible time"),
        (None, "serverTime null"),
    ],
)
def test_hostile_server_time(server_time: object, words: str) -> None:
    hostile = Hostile(answer(200, LIVE_BODY), time=answer(200, {"serverTime": server_time}))
    with serving(hostile):
        [result] = _verify(hostile.url)
    assert hostile.requests and hostile.signed_requests == []
    assert result.status == "invalid_answer"
    assert words in result.message


def test_live_answer_through_the_hostile_server_passes_the_checks() -> None:
    """The checks above refuse the bad, not the good: the same server's honest answer."""
    with serving(Hostile(answer(200, {**LIVE_BODY, "enableWithdrawals": True}))) as hostile:
        [result] = _verify(hostile.url)
    assert (result.status, result.severity, result.created) == (
        "live",
        "critical",
        "2023-11-14T22:13:20Z",
    )


def test_server_messages_are_escaped(tmp_path: Path) -> None:
    evil = "\x1b]0;pwned\x07\x1b[2J\u202eevil\r\n::error::forged\x9b31m"
    body = {"code": -2015, "msg": evil}
    with serving(Hostile(answer(401, body))) as hostile:
        [result] = _verify(hostile.url)
        proc = run_cli("verify", str(_bot_files(tmp_path, 1)), "--api-url", hostile.url)
    assert result.status == "rejected"
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil\\r\\n::error::forged\\x9b31m" in result.message
    for control in ("\x1b", "\x07", "\r", "\u202e", "\x9b"):
        assert control not in result.message
        assert control not in proc.stdout + proc.stderr
    assert "rejected" in proc.stdout.lower()
    assert "\n::error::" not in proc.stdout


@pytest.mark.parametrize("where", ["message", "field name", "field value"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_server_echoing_the_key_does_not_print_it_in_audit(where: str, fmt: str) -> None:
    """audit prints its own key's verification, not a report: the server's words still go
    through the one masking every report has."""
    key, secret = PAIRS[0]
    body = {
        "message": (401, {"code": -2015, "msg": f"Invalid API-key {key}, IP, or permissions"}),
        "field name": (200, {**LIVE_BODY, f"enable{key[:50]}": True}),
        "field value": (200, {**LIVE_BODY, "enableFutures": key}),
    }[where]
    with serving(Hostile(answer(*body))) as hostile:
        proc = run_cli(
            "audit",
            "--format",
            fmt,
            "--api-url",
            hostile.url,
            env={"BINANCE_API_KEY": key, "BINANCE_API_SECRET": secret},
        )
    assert hostile.signed_requests
    assert {"message": "REJECTED", "field name": "********", "field value": "enableFutures is"}[
        where
    ].lower() in proc.stdout.lower(), proc.stdout
    assert_no_secret(proc.stdout + proc.stderr, [key, secret])


def test_unreachable_run_is_exit_2_for_history(tmp_path: Path) -> None:
    from testing.git_repo import commit, make_repo

    repo = make_repo(tmp_path / "repo")
    key, secret = PAIRS[0]
    commit(repo, {"bot.py": _bot(key, secret).decode()})
    with serving(Hostile(hang)) as hostile:
        proc = run_cli(
            "history",
            str(repo),
            "--verify",
            "--no-progress",
            "--api-url",
            hostile.url,
            "--verify-timeout",
            "0.5",
        )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _assert_one_line_error(proc.stderr)
    assert "verified: UNREACHABLE" in proc.stdout


def test_ci_verify_against_a_hanging_server_is_exit_2(tmp_path: Path) -> None:
    from testing.github import Origin

    origin = Origin(tmp_path)
    key, secret = PAIRS[0]
    head_sha = origin.commit({"bot.py": _bot(key, secret).decode()})
    origin.push("main")
    checkout = origin.checkout(head_sha, "refs/heads/main")
    with serving(Hostile(hang)) as hostile:
        step = origin.run_ci(
            checkout,
            "workflow_dispatch",
            origin.payload("workflow_dispatch"),
            "--verify",
            "--api-url",
            hostile.url,
            "--verify-timeout",
            "0.5",
            "--fail-on",
            "never",
            sha=head_sha,
            ref="refs/heads/main",
        )
    assert hostile.signed_requests
    assert step.code == 2, step.explain()  # incomplete, whatever --fail-on says of findings
    _assert_one_line_error(step.proc.stderr)
    assert "verified: UNREACHABLE" in step.stdout
