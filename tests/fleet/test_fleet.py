"""`binance-guard fleet` on real repositories with the embedded local Dask cluster."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

from binance_guard.finding import fingerprint
from testing.cli import run_cli
from testing.fleet import (
    KEYS,
    by_repo,
    env_file,
    fleet,
    found,
    make_fleet,
    store_bytes,
    unique_blobs,
)
from testing.git_repo import commit, damage_in_pack, drop_from_pack, git, make_repo

ALPHA_KEYS = {
    ("alpha", 0, "deploy/bot.env"),
    ("alpha", 5, "deploy/bot.env"),
    ("alpha", 1, "old.env"),
}
# gamma forks alpha; delta vendors alpha's bot.env.
FLEET_KEYS = ALPHA_KEYS | {
    ("gamma", 0, "deploy/bot.env"),
    ("gamma", 5, "deploy/bot.env"),
    ("gamma", 1, "old.env"),
    ("delta", 0, "vendor/bot.env"),
    ("delta", 5, "vendor/bot.env"),
}


def test_forks_share_blobs_scanned_once_and_keys_span_repositories(tmp_path: Path) -> None:
    repos = make_fleet(tmp_path / "org")
    cache = tmp_path / "cache"
    doc = fleet(cache, str(tmp_path / "org"))
    assert doc["exit"] == 1
    assert set(by_repo(doc)) == {"alpha", "beta", "gamma", "delta"}
    assert {r["status"] for r in doc["repos"]} == {"complete"}
    # Every unique blob of the fleet exactly once, though gamma shares alpha's history.
    unique = unique_blobs(*repos.values())
    assert doc["summary"]["blobs_scanned"] == len(unique) == doc["summary"]["unique_blobs"]
    assert sum(r["scanned"] for r in doc["repos"]) == len(unique)
    assert found(doc) == FLEET_KEYS
    assert found(doc, "new") == found(doc)
    # Attribution as `history` gives it: the fork reports alpha's introducing commit.
    intro = git(repos["alpha"], "log", "-1", "--format=%H", "--", "deploy/bot.env").strip()
    bot = [f for f in doc["findings"] if f["path"] == "deploy/bot.env"]
    assert {f["commit"] for f in bot} == {intro}
    assert all(f["in_head"] for f in bot)
    old = [f for f in doc["findings"] if f["path"] == "old.env"]
    assert old and not any(f["in_head"] for f in old)
    key0 = next(k for k in doc["keys"] if k["redacted"] == doc["findings"][0]["redacted"])
    assert len(key0["repos"]) >= 2
    (shared,) = [k for k in doc["keys"] if len(k["repos"]) == 3 and k["type"] == "binance_api_key"]
    assert {Path(r).name for r in shared["repos"]} == {"alpha", "gamma", "delta"}
    # The store keeps fingerprints and redacted previews only, readable by the owner only.
    state = cache / "state.sqlite3"
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    data = store_bytes(cache)
    assert b"deploy/bot.env" in data
    for key in KEYS:
        assert key.encode() not in data


def test_later_runs_scan_only_new_objects_and_say_what_changed(tmp_path: Path) -> None:
    repos = make_fleet(tmp_path / "org")
    cache = tmp_path / "cache"
    first = fleet(cache, str(tmp_path / "org"))
    before = unique_blobs(*repos.values())

    again = fleet(cache, str(tmp_path / "org"))
    assert again["exit"] == 1
    assert again["summary"]["blobs_scanned"] == 0
    assert {r["status"] for r in again["repos"]} == {"unchanged"}
    assert found(again, "unchanged") == found(first) and not found(again, "new")
    first_seen = {
        (f["repo"], f["path"], f["fingerprint"]): f["first_seen"] for f in first["findings"]
    }
    assert {
        (f["repo"], f["path"], f["fingerprint"]): f["first_seen"] for f in again["findings"]
    } == first_seen

    added = commit(repos["beta"], {"conf/prod.env": env_file(KEYS[2])}, "prod config")
    third = fleet(cache, str(tmp_path / "org"))
    new_blobs = unique_blobs(*repos.values()) - before
    assert len(new_blobs) == 1
    assert third["summary"]["blobs_scanned"] == 1  # the only new work
    assert found(third, "new") == {("beta", 2, "conf/prod.env")}
    assert found(third, "unchanged") == found(first)
    assert by_repo(third)["beta"]["status"] == "complete"
    assert {by_repo(third)[n]["status"] for n in ("alpha", "gamma", "delta")} == {"unchanged"}
    (new,) = [f for f in third["findings"] if f["status"] == "new"]
    assert new["commit"] == added and new["in_head"] is True

    # History rewritten so that no ref reaches the key any more: gone, not silently dropped.
    git(repos["beta"], "reset", "-q", "--hard", "HEAD~1")
    fourth = fleet(cache, str(tmp_path / "org"))
    assert found(fourth, "gone") == {("beta", 2, "conf/prod.env")}
    assert fourth["summary"]["blobs_scanned"] == 0
    assert fourth["summary"]["findings"]["gone"] == 1


def test_a_changed_allowlist_reaches_repositories_whose_refs_did_not_move(
    tmp_path: Path,
) -> None:
    """Their stored attribution was reused whatever the settings file's [allowlist] said."""
    make_fleet(tmp_path / "org")
    cache, org = tmp_path / "cache", str(tmp_path / "org")
    assert found(fleet(cache, org)) == FLEET_KEYS
    settings = tmp_path / "settings.toml"
    settings.write_text(
        '[allowlist]\npaths = ["^vendor/"]\n[[allowlist.fingerprints]]\n'
        f'fingerprint = "{fingerprint(KEYS[1])}"\nreason = "revoked"\n'
    )
    allowed = fleet(cache, org, "--config", str(settings))
    assert allowed["summary"]["blobs_scanned"] == 0
    kept = {k for k in FLEET_KEYS if k[0] != "delta" and k[1] != 1}
    assert found(allowed) - found(allowed, "gone") == kept
    assert found(fleet(cache, org, "--no-config"), "new") == FLEET_KEYS - kept


def test_a_cache_judged_by_other_rules_is_scanned_again(tmp_path: Path) -> None:
    """Verdicts are stored once per blob: after an upgrade whose rules find what the old
    ones missed, reusing them would keep calling old history clean forever."""
    repos = make_fleet(tmp_path / "org")
    cache, org = tmp_path / "cache", str(tmp_path / "org")
    first = fleet(cache, org)
    assert first["summary"]["rules_changed"] is False
    missed = fingerprint(KEYS[1])
    with sqlite3.connect(cache / "state.sqlite3") as db:  # as older rules would have left it
        db.execute("UPDATE meta SET value = 'older-rules' WHERE key = 'detector'")
        db.execute("DELETE FROM hit WHERE fingerprint = ?", (missed,))
        db.execute("DELETE FROM finding WHERE fingerprint = ?", (missed,))
    again = fleet(cache, org)
    assert again["summary"]["rules_changed"] is True
    assert again["summary"]["blobs_scanned"] == len(unique_blobs(*repos.values()))
    assert found(again) == FLEET_KEYS
    assert found(again, "new") == {k for k in FLEET_KEYS if k[1] == 1}
    assert found(again, "unchanged") == {k for k in FLEET_KEYS if k[1] != 1}
    text = run_cli("fleet", "--cache-dir", str(cache), "--workers", "1", org)
    assert "other detection rules" not in text.stdout  # the same rules: nothing forgotten
    with sqlite3.connect(cache / "state.sqlite3") as db:  # a cache from before the stamp
        db.execute("DELETE FROM meta")
    text = run_cli("fleet", "--cache-dir", str(cache), "--workers", "1", org)
    assert text.returncode == 1
    assert "other detection rules" in text.stdout and "every blob was scanned again" in text.stdout


def test_bad_input_is_reported_per_repository_and_the_rest_completes(tmp_path: Path) -> None:
    repos = make_fleet(tmp_path / "org")
    cache = tmp_path / "cache"
    missing = tmp_path / "nowhere"
    doc = fleet(
        cache,
        str(repos["alpha"]),
        str(repos["beta"]),
        str(missing),
        f"file://{tmp_path}/no-such-repo.git",
        "https://fleet-user:tok-SECRET-1@127.0.0.1:9/none.git",
        code=(2,),
    )
    assert "tok-SECRET-1" not in str(doc)
    states = {r["name"]: (r["status"], r["error"]) for r in doc["repos"]}
    assert states[str(missing)][0] == "incomplete"
    bad_url = next(v for k, v in states.items() if "no-such-repo" in k)
    assert bad_url[0] == "incomplete" and "clone" in bad_url[1]
    assert by_repo(doc)["alpha"]["status"] == "complete"
    assert found(doc) == ALPHA_KEYS  # the reachable repositories were fully scanned
    assert doc["summary"]["incomplete"] == 3

    # A corrupt cache entry is cloned afresh; the run completes with the same findings.
    (mirror,) = (cache / "mirrors").glob("alpha-*.git")
    shutil.rmtree(mirror / "objects")
    (mirror / "HEAD").write_text("garbage\n")
    commit(repos["alpha"], {"more.txt": "x\n"}, "more")
    again = fleet(cache, str(repos["alpha"]), str(repos["beta"]))
    assert again["exit"] == 1
    assert by_repo(again)["alpha"]["status"] == "complete"
    assert found(again) == ALPHA_KEYS


def test_text_report_never_prints_secrets_and_escapes_names(tmp_path: Path) -> None:
    from testing.cli import run_cli

    repos = make_fleet(tmp_path / "org")
    odd = tmp_path / "org" / "evil\x1b[31mname"
    shutil.copytree(repos["delta"], odd)
    proc = run_cli("fleet", "--cache-dir", str(tmp_path / "c"), "--workers", "1", str(odd))
    assert proc.returncode == 1, proc.stderr
    assert "\x1b" not in proc.stdout
    assert "evil\\x1b[31mname" in proc.stdout
    assert "vendor/bot.env:1" in proc.stdout
    for key in KEYS:
        assert key not in proc.stdout + proc.stderr


def test_a_key_used_as_a_path_or_an_author_name_is_masked_in_every_format(
    tmp_path: Path,
) -> None:
    """Records are stored and rendered without the secrets their findings no longer carry:
    masked where they are made, as every other report masks them."""
    from testing.cli import run_cli
    from testing.github import assert_no_secret

    repo = make_repo(tmp_path / "odd")
    git(repo, "config", "user.name", KEYS[2])
    commit(repo, {f"keys/{KEYS[2]}.env": env_file(KEYS[2], KEYS[3])}, "keys")
    for fmt in ("text", "json", "sarif", "html"):
        out = tmp_path / f"report.{fmt}"
        cache = tmp_path / "c"
        proc = run_cli(
            "fleet", "--cache-dir", str(cache), "--workers", "1", "--format", fmt,
            "--output", str(out), str(repo),
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        masked = "keys/%2A%2A%2A%2A%2A%2A%2A%2A.env" if fmt == "sarif" else "keys/********.env"
        assert masked in out.read_text(), fmt
        assert_no_secret(out.read_text() + proc.stdout + proc.stderr, KEYS[2:4])
    assert_no_secret(store_bytes(cache).decode(errors="replace"), KEYS[2:4])


def test_sarif_has_one_valid_run_per_repository_with_findings(tmp_path: Path) -> None:
    import json

    import jsonschema

    from testing.cli import run_cli

    make_fleet(tmp_path / "org")
    proc = run_cli(
        "fleet",
        str(tmp_path / "org"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--workers",
        "1",
        "--format",
        "sarif",
    )
    assert proc.returncode == 1, proc.stderr
    document = json.loads(proc.stdout)
    schema = json.loads(
        (Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text()
    )
    jsonschema.validate(document, schema)
    runs = {run["automationDetails"]["id"].rsplit("/", 1)[-1]: run for run in document["runs"]}
    assert set(runs) == {"alpha", "gamma", "delta"}
    assert len(runs["delta"]["results"]) == 2
    for key in KEYS:
        assert key not in proc.stdout


def test_a_damaged_blob_fails_only_the_repositories_needing_it(tmp_path: Path) -> None:
    """Repositories listed together are scanned by one task: a blob of one mirror git cannot
    inflate leaves that repository incomplete, counted, with the rest of its blobs scanned
    (its key is reported: it was not, the whole batch failed), and the others complete."""
    repos = make_fleet(tmp_path / "org")
    for index in range(4):  # enough repositories for groups of two per listing task
        commit(make_repo(tmp_path / "org" / f"extra{index}"), {"x.txt": f"{index}\n"})
    commit(repos["beta"], {"bot.env": env_file(KEYS[2])}, "a key")
    git(repos["beta"], "repack", "-adq")
    damage_in_pack(repos["beta"], git(repos["beta"], "rev-parse", "HEAD:README.md").strip())
    doc = fleet(tmp_path / "cache", str(tmp_path / "org"), code=(2,))
    states = {name: repo["status"] for name, repo in by_repo(doc).items()}
    assert states.pop("beta") == "incomplete"
    assert set(states.values()) == {"complete"} and "alpha" in states
    beta = by_repo(doc)["beta"]
    assert beta["unreadable"] == 1 and beta["error"].startswith("1 object(s) missing, corrupt")
    assert doc["incomplete"]["object(s) missing, corrupt or unreadable"] == 1
    assert found(doc) == FLEET_KEYS | {("beta", 2, "bot.env")}


def test_an_object_git_cannot_read_leaves_its_repository_incomplete(tmp_path: Path) -> None:
    """A loose blob whose header does not inflate: git lists it from its tree but cannot
    say what it is. Its repository is not fully scanned, so it is never called complete."""
    repos = make_fleet(tmp_path / "org")
    blob = git(repos["beta"], "rev-parse", "HEAD:README.md").strip()
    loose = repos["beta"] / ".git" / "objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not zlib at all")
    doc = fleet(tmp_path / "cache", str(tmp_path / "org"), code=(2,))
    beta = by_repo(doc)["beta"]
    assert beta["status"] == "incomplete" and "corrupt or unreadable" in beta["error"]
    assert {r["status"] for name, r in by_repo(doc).items() if name != "beta"} == {"complete"}
    assert ("alpha", 0, "deploy/bot.env") in found(doc)


def test_objects_a_local_source_lacks_are_counted_and_the_rest_is_scanned(
    tmp_path: Path,
) -> None:
    """A partial clone (its history's blobs never fetched) and a repository that lost a blob
    from its pack: fleet scans what they hold and counts what they lack, as history does
    (incomplete, exit 2), and lists them again next run. git rev-list died on the first
    missing object, and the whole repository failed with git's message."""
    origin = make_repo(tmp_path / "origin")
    commit(origin, {"old.env": env_file(KEYS[1])}, "a key")
    git(origin, "rm", "-q", "old.env")
    git(origin, "commit", "-q", "-m", "drop it")
    commit(origin, {"bot.env": env_file(KEYS[0])}, "another key")
    git(origin, "config", "uploadpack.allowFilter", "true")
    org = tmp_path / "org"
    shutil.copytree(origin, org / "intact")
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", f"file://{origin}", str(org / "partial")],
        check=True,
    )
    shutil.copytree(origin, org / "lost")
    drop_from_pack(org / "lost", git(origin, "rev-parse", "HEAD~2:old.env").strip())
    cache = tmp_path / "cache"
    mirrors: list[dict[str, int]] = []
    for again in (False, True):
        doc = fleet(cache, str(org), code=(2,))
        mirrors.append({m.name.split("-")[0]: m.stat().st_ino for m in cache.glob("mirrors/*.git")})
        repos = by_repo(doc)
        assert repos["intact"]["status"] == ("unchanged" if again else "complete")
        for name in ("partial", "lost"):
            assert repos[name]["status"] == "incomplete" and repos[name]["unreadable"] == 1
            assert repos[name]["error"].startswith("1 object(s) missing, corrupt or unreadable")
        assert doc["incomplete"] == {
            "object(s) missing, corrupt or unreadable": 2,
            "repository(ies) not fully scanned": 2,
        }
        assert found(doc) == {
            ("intact", 0, "bot.env"),
            ("intact", 1, "old.env"),
            ("partial", 0, "bot.env"),
            ("lost", 0, "bot.env"),
        }
        assert doc["summary"]["blobs_scanned"] == (0 if again else 2)
    # Listed again, the mirror lacking an object is cloned afresh once, but not the partial
    # clone's (a new one would lack the same).
    assert {name for name in mirrors[0] if mirrors[0][name] != mirrors[1][name]} == {"lost"}


def test_a_large_blob_that_may_hold_a_key_leaves_its_repository_incomplete(tmp_path: Path) -> None:
    """Over --max-bytes it is not scanned, but the prefilter flags it: the repository's other
    findings are reported, the run exits 2, and the next run looks again."""
    repo = make_repo(tmp_path / "org" / "logs")
    commit(repo, {"bot.env": env_file(KEYS[0]), "bot.log": "x\n" * 600 + env_file(KEYS[1])})
    cache, org = tmp_path / "cache", str(tmp_path / "org")
    for _ in range(2):  # the second run lists it again rather than calling it unchanged
        doc = fleet(cache, "--max-bytes", "1000", org, code=(2,))
        (outcome,) = doc["repos"]
        assert outcome["status"] == "incomplete"
        assert "1 blob(s) larger than --max-bytes may hold keys" in outcome["error"]
        assert found(doc) == {("logs", 0, "bot.env")}
    doc = fleet(cache, "--max-bytes", "5000", org, code=(1,))
    assert by_repo(doc)["logs"]["status"] == "complete"
    assert found(doc) == {("logs", 0, "bot.env"), ("logs", 1, "bot.log")}


def test_ssh_urls_clone_through_the_users_ssh_command(tmp_path: Path) -> None:
    """ssh:// and git@host:path go through the ssh command the user chose (a deploy key, a
    jump host): here a GIT_SSH_COMMAND that runs the remote git command locally. Another
    run with it in core.sshCommand instead reaches it too."""
    repos = make_fleet(tmp_path / "org")
    log = tmp_path / "ssh.log"
    ssh = tmp_path / "bin" / "ssh"
    ssh.parent.mkdir()
    ssh.write_text(f'#!/bin/sh\necho "$@" >> {log}\nfor last; do :; done\nexec sh -c "$last"\n')
    ssh.chmod(0o755)
    urls = (f"ssh://git.example{repos['alpha']}", f"git@git.example:{repos['delta']}")
    doc = fleet(tmp_path / "cache", *urls, env={"GIT_SSH_COMMAND": str(ssh)})
    assert {r["status"] for r in doc["repos"]} == {"complete"}
    assert found(doc) == ALPHA_KEYS | {
        ("delta", 0, "vendor/bot.env"),
        ("delta", 5, "vendor/bot.env"),
    }
    assert log.read_text().count("git.example") == 2

    config = tmp_path / "gitconfig"
    config.write_text(f"[core]\n\tsshCommand = {ssh}\n")
    doc = fleet(tmp_path / "cache2", *urls, env={"GIT_CONFIG_GLOBAL": str(config)})
    assert {r["status"] for r in doc["repos"]} == {"complete"}
    assert log.read_text().count("git.example") == 4


def test_the_cache_defaults_to_the_users_cache_directory(tmp_path: Path) -> None:
    from testing.cli import run_cli

    repo = make_fleet(tmp_path / "org")["delta"]
    for env, cache in [
        ({"XDG_CACHE_HOME": str(tmp_path / "xdg")}, tmp_path / "xdg"),
        ({"XDG_CACHE_HOME": "", "HOME": str(tmp_path / "home")}, tmp_path / "home" / ".cache"),
    ]:
        proc = run_cli("fleet", "--workers", "1", str(repo), env=env)
        assert proc.returncode == 1, proc.stderr
        assert (cache / "binance-guard" / "fleet" / "state.sqlite3").is_file()
        assert len(list((cache / "binance-guard" / "fleet" / "mirrors").glob("delta-*.git"))) == 1


def test_a_local_cluster_of_no_workers_is_a_usage_error(tmp_path: Path) -> None:
    """0 or fewer workers would wait for ever (-1) or silently mean one per CPU (0)."""
    from testing.cli import run_cli

    for workers in ("0", "-1", "two"):
        proc = run_cli("fleet", "--cache-dir", str(tmp_path), "--workers", workers, str(tmp_path))
        assert proc.returncode == 2
        (line,) = proc.stderr.splitlines()
        assert "--workers" in line and "error" in line, line


def test_an_output_that_cannot_be_written_fails_before_the_run(tmp_path: Path) -> None:
    """Not after hours of scanning: a second run would call the first's new findings
    unchanged. A writable one is replaced whole by the report."""
    import json

    from testing.cli import run_cli

    repo = make_fleet(tmp_path / "org")["delta"]
    cache = tmp_path / "cache"
    bad = tmp_path / "no-such-dir" / "report.json"
    proc = run_cli("fleet", "--cache-dir", str(cache), "--output", str(bad), str(repo))
    assert proc.returncode == 2
    assert proc.stderr == f"binance-guard: error: --output {bad}: No such file or directory\n"
    assert not cache.exists()  # nothing ran

    report = tmp_path / "report.json"
    report.write_text("x" * 100_000)
    args = ("--cache-dir", str(cache), "--workers", "1", "--format", "json")
    proc = run_cli("fleet", *args, "--output", str(report), str(repo))
    assert proc.returncode == 1, proc.stderr
    assert json.loads(report.read_text())["summary"]["findings"]["new"] == 2


def test_a_cache_dir_that_is_a_file_is_one_error_line(tmp_path: Path) -> None:
    from testing.cli import run_cli

    (tmp_path / "file").write_text("not a directory\n")
    proc = run_cli("fleet", "--cache-dir", str(tmp_path / "file"), str(tmp_path))
    assert proc.returncode == 2
    assert (
        proc.stderr == f"binance-guard: error: --cache-dir {tmp_path / 'file'}: not a directory\n"
    )
