"""fleet --verify: each distinct key verified once for the whole fleet, on every run."""

from __future__ import annotations

from pathlib import Path

from binance_guard.finding import fingerprint
from testing.fake_binance import Account, FakeBinance, running
from testing.fleet import KEYS, fleet, make_fleet


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
