"""`history` and `scrub` agree on where keys are: every place scrub rewrites, history reports
first (or scrub, which rewrites what history found, would leave it), and reports nothing in
once scrub is done."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from binance_guard.finding import fingerprint
from testing.cli import run_cli
from testing.git_repo import commit, git, make_repo, write
from testing.keys import fake_key

K = {
    place: fake_key(f"agree-{place}")
    for place in (
        "file",
        "commit message",
        "author",
        "committer",
        "tag message",
        "inner tag message",
        "tagger",
        "note",
        "older stash file",
        "older stash message",
    )
}


def _history(repo: Path) -> tuple[int, dict[str, Any]]:
    proc = run_cli("history", str(repo), "--format", "json")
    for key in K.values():
        assert key not in proc.stdout + proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _every_place(path: Path) -> tuple[Path, dict[str, str]]:
    """A repository with a key in each place, and (key's place -> the commit, tag or stash
    entry history must name for it)."""
    repo = make_repo(path)
    where = {}
    commit(repo, {"README.md": "# bot\n"})
    where["file"] = commit(repo, {"bot.env": f"BINANCE_API_KEY={K['file']}\n"}, "config")
    where["commit message"] = commit(
        repo, {"a.txt": "a\n"}, f"BINANCE_API_KEY={K['commit message']}"
    )
    identity = {"GIT_COMMITTER_NAME": f"BINANCE_API_KEY={K['committer']}"}
    author = f"--author=BINANCE_API_KEY={K['author']} <bot@example.com>"
    git(repo, "commit", "-q", "--allow-empty", "-m", "as the bot", author, env=identity)
    where["author"] = where["committer"] = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "tag", "-a", "v1", "-m", f"BINANCE_API_KEY={K['tag message']}")
    where["tag message"] = git(repo, "rev-parse", "v1").strip()
    git(repo, "tag", "-a", "inner", "-m", f"BINANCE_API_KEY={K['inner tag message']}")
    where["inner tag message"] = git(repo, "rev-parse", "inner").strip()
    git(repo, "-c", "advice.nestedTag=false", "tag", "-a", "outer", "-m", "outer", "inner")
    git(repo, "tag", "-d", "inner")
    identity = {"GIT_COMMITTER_NAME": f"BINANCE_API_KEY={K['tagger']}"}
    git(repo, "tag", "-a", "v2", "-m", "v2", env=identity)
    where["tagger"] = git(repo, "rev-parse", "v2").strip()
    git(repo, "notes", "add", "-m", f"BINANCE_API_KEY={K['note']}", "HEAD")
    where["note"] = git(repo, "rev-parse", "refs/notes/commits").strip()
    write(repo, "a.txt", f"BINANCE_API_KEY={K['older stash file']}\n")
    git(repo, "stash", "-q")
    where["older stash file"] = git(repo, "rev-parse", "stash@{0}").strip()
    write(repo, "a.txt", "b\n")
    git(repo, "stash", "push", "-q", "-m", f"BINANCE_API_KEY={K['older stash message']}")
    where["older stash message"] = git(repo, "rev-parse", "stash@{0}").strip()
    write(repo, "a.txt", "c\n")
    git(repo, "stash", "-q")  # the two above are stash@{1} and stash@{2} now
    return repo, where


def test_history_reports_every_place_scrub_cleans_and_none_after(tmp_path: Path) -> None:
    repo, where = _every_place(tmp_path / "repo")
    by_key = {fake: place for place, fake in K.items()}
    code, doc = _history(repo)
    assert (code, doc["notes"], doc["incomplete"]) == (1, [], {})
    places = {fingerprint(key): place for key, place in by_key.items()}
    found = {places[f["fingerprint"]]: f for f in doc["findings"]}
    assert {place: f["commit"] for place, f in found.items()} == where
    assert {place: f["location"] for place, f in found.items()} == {
        "file": "file",
        "commit message": "commit_message",
        "author": "author",
        "committer": "committer",
        "tag message": "tag_message",
        "inner tag message": "tag_message",
        "tagger": "tagger",
        "note": "note",
        "older stash file": "file",
        "older stash message": "commit_message",
    }
    assert found["older stash file"]["refs"] == ["stash@{2}"]
    assert found["older stash message"]["refs"] == ["stash@{1}"]

    proc = run_cli("scrub", "--in-place", "--yes", "--prune", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    code, doc = _history(repo)
    assert (code, doc["findings"], doc["notes"], doc["incomplete"]) == (0, [], [], {})
    everything = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    everything += git(repo, "stash", "list", "--format=%gs").encode()
    assert [place for place, key in K.items() if key.encode() in everything] == []
