"""fleet --verify: each distinct key verified once for the whole fleet, on every run."""

from __future__ import annotations

from pathlib import Path

import pytest

from binance_guard.finding import fingerprint
from testing.cli import run_cli
from testing.fake_binance import Account, FakeBinance, running
from testing.fleet import KEYS, env_file, fleet, make_fleet
from testing.git_repo import commit, make_repo
from testing.github import assert_no_secret
from testing.hostile_http import Hostile, answer, serving


def test_each_key_is_verified_once_across_repositories_and_runs(tmp_path: Path) -> None:
    make_fleet(tmp_path / "org")
    with running(FakeBinance()) as binance:
        binance.accounts[KEYS[0]] = Account(secret=KEYS[5], rights={"enableWithdrawals": True})
        args = (str(tmp_path / "org"), "--verify", "--api-url", binance.url)
        first = fleet(tmp_path / "cache", *args)
        signed = [r for r in binance.requests if "apiRestrictions" in r.path]
        assert len(signed) == 1  # one key pair, in three repositories
        again = fleet(tmp_path / "cache", *args)
        assert len([r for r in binance.requests if "apiRestrictions" in r.path]) == 2
        for request in binance.requests:
            assert KEYS[5] not in request.raw
    assert again["summary"]["blobs_scanned"] == 0
    for doc in (first, again):
        pair = [
            f
            for f in doc["findings"]
            if f["fingerprint"] in (fingerprint(KEYS[0]), fingerprint(KEYS[5]))
        ]
        assert {Path(f["repo"]).name for f in pair} == {"alpha", "gamma", "delta"}
        assert {f["verification"]["status"] for f in pair} == {"live"}
        assert {f["severity"] for f in pair} == {"critical"}
        lone = [f for f in doc["findings"] if f["fingerprint"] == fingerprint(KEYS[1])]
        assert lone and {f["verification"]["status"] for f in lone} == {"skipped"}


@pytest.mark.parametrize("fmt", ["json", "html", "text"])
def test_a_server_echoing_the_key_does_not_print_it(tmp_path: Path, fmt: str) -> None:
    """The server's words reach fleet's report and notes through the one masking every report
    has: a hostile API that quotes the key back does not get it printed."""
    key, secret = KEYS[0], KEYS[5]
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"bot.env": env_file(key, secret)}, "add bot key")
    echo = {"code": -2015, "msg": f"Invalid API-key {key}, IP, or permissions"}
    with serving(Hostile(answer(401, echo))) as hostile:
        proc = run_cli(
            "fleet",
            *("--cache-dir", str(tmp_path / "cache"), "--workers", "1", "--format", fmt),
            *("--verify", "--api-url", hostile.url, str(repo)),
        )
    assert hostile.signed_requests, proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert "rejected" in proc.stdout.lower()
    assert_no_secret(proc.stdout + proc.stderr, [key, secret])
