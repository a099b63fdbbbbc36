"""`binance-guard scrub` with the real git-filter-repo on real repositories.

Nothing is mocked. Every claim the command makes is checked here independently of its own
verification: each commit is paired with its rewrite by walking both graphs, every object
reachable from any ref is read back, every file of every commit is compared byte by byte.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from binance_guard.scrub.rules import Replacement
from testing.cli import run_cli
from testing.git_repo import GIT_ENV, commit, git, make_repo, write
from testing.keys import fake_key

MARKER = b"***REMOVED***"
PRIVATE_MARKER = b"***REMOVED***"

K = [fake_key(f"scrub-{i}") for i in range(12)]


def _ed25519_pem(seed: str) -> str:
    """A fake Ed25519 key in the PKCS#8 PEM form Binance takes, generated, never real."""
    key = Ed25519PrivateKey.from_private_bytes(random.Random(seed).randbytes(32))
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


PEM = _ed25519_pem("scrub-ed25519")
PEM_BODY = PEM.splitlines()[1]  # Ed25519 PKCS#8: one 64-character base64 line
SECRETS = {key.encode(): MARKER for key in K} | {PEM_BODY.encode(): PRIVATE_MARKER}
NAMES = {key.encode(): f"K[{i}]" for i, key in enumerate(K)} | {PEM_BODY.encode(): "PEM body"}


def _replace(data: bytes, secrets: dict[bytes, bytes] = SECRETS) -> bytes:
    for old, new in secrets.items():
        data = data.replace(old, new)
    return data


# --- running things -------------------------------------------------------------------------


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line; whatever happens, no output may hold a whole secret."""
    proc = run_cli(*args, cwd=cwd)
    shown = proc.stdout + proc.stderr
    for secret in [*K, PEM_BODY]:
        assert secret not in shown, f"a full secret was printed by {args}"
    return proc


def _git_bytes(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    proc = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV, "HOME": str(repo)},
        input=stdin,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr.decode()}"
    return proc.stdout


def _refs(repo: Path) -> dict[str, str]:
    """Every ref but symbolic ones, with its target."""
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname) %(symref)")
    rows = [line.split(" ") for line in out.splitlines()]
    return {row[0]: row[1] for row in rows if not row[2]}


def _counts(repo: Path) -> dict[str, int]:
    return {ref: int(git(repo, "rev-list", "--count", ref, "--")) for ref in _refs(repo)}


def _reachable_objects(repo: Path) -> bytes:
    """The content of every object any ref reaches: commits, tags, trees and blobs."""
    listing = git(repo, "rev-list", "--all", "--objects", "--no-object-names")
    return _git_bytes(repo, "cat-file", "--batch", stdin=listing.encode())


def _every_object(repo: Path) -> bytes:
    """The content of every object in the repository, reachable or not."""
    return _git_bytes(repo, "cat-file", "--batch-all-objects", "--batch", "--unordered")


def _secrets_in(data: bytes, secrets: dict[bytes, bytes] = SECRETS) -> set[str]:
    """Which secrets the data holds, by name: a failing test must not print them either."""
    return {NAMES[secret] for secret in secrets if secret in data}


def _pushes(stdout: str) -> list[list[str]]:
    """The `git ... push --force ...` commands of the printed next steps."""
    return [shlex.split(line) for line in stdout.splitlines() if " push --force " in line]


def _pushed_refs(stdout: str) -> set[str]:
    return {cmd[-1].split(":")[1] for cmd in _pushes(stdout)}


def _history(repo: Path) -> tuple[int, list[dict[str, object]]]:
    proc = _cli("history", str(repo), "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    findings: list[dict[str, object]] = json.loads(proc.stdout)["findings"]
    return proc.returncode, findings


def _mirror(source: Path, target: Path) -> Path:
    _git_bytes(source.parent, "clone", "-q", "--mirror", str(source), str(target))
    return target


# --- independent proof that only the secrets changed ----------------------------------------


def _pairs(old: Path, new: Path) -> dict[str, str]:
    """Old commit -> its rewrite, by walking both graphs in the same order; the pairing must
    be a graph isomorphism (each pair's parents are pairs), else it proves nothing."""
    walk = ("rev-list", "--all", "--topo-order", "--reverse", "--parents")
    olds = [line.split() for line in git(old, *walk).splitlines()]
    news = [line.split() for line in git(new, *walk).splitlines()]
    assert len(olds) == len(news), "the number of commits changed"
    pairs: dict[str, str] = {}
    for old_row, new_row in zip(olds, news, strict=True):
        assert [pairs[p] for p in old_row[1:]] == new_row[1:], "the commit graph changed"
        pairs[old_row[0]] = new_row[0]
    assert len(set(pairs.values())) == len(pairs)
    return pairs


def _headers_and_message(raw: bytes) -> tuple[list[bytes], bytes]:
    """Headers but the object links (tree, parent, object), and the message."""
    headers, _, message = raw.partition(b"\n\n")
    links = (b"tree ", b"parent ", b"object ")
    return [h for h in headers.split(b"\n") if not h.startswith(links)], message


def _tree(repo: Path, commit_id: str) -> dict[bytes, tuple[bytes, bytes, bytes]]:
    """path -> (mode, type, object id) of every entry, recursively, gitlinks included."""
    out = _git_bytes(repo, "ls-tree", "-r", "-z", "--full-tree", commit_id)
    result = {}
    for entry in filter(None, out.split(b"\0")):
        meta, _, path = entry.partition(b"\t")
        mode, kind, oid = meta.split()
        result[path] = (mode, kind, oid)
    return result


def _blob(repo: Path, oid: bytes) -> bytes:
    return _git_bytes(repo, "cat-file", "blob", oid.decode())


def _assert_only_secrets_changed(
    old: Path, new: Path, secrets: dict[bytes, bytes] = SECRETS
) -> dict[str, str]:
    """Every commit, tag, path, mode and byte identical but for the replaced secrets."""
    pairs = _pairs(old, new)
    for old_id, new_id in pairs.items():
        old_raw = _git_bytes(old, "cat-file", "commit", old_id)
        new_raw = _git_bytes(new, "cat-file", "commit", new_id)
        old_headers, old_message = _headers_and_message(old_raw)
        new_headers, new_message = _headers_and_message(new_raw)
        assert new_headers == [_replace(h, secrets) for h in old_headers], (
            f"{old_id}: authorship or headers changed"
        )
        assert new_message == _replace(old_message, secrets), f"{old_id}: message changed"
        old_tree, new_tree = _tree(old, old_id), _tree(new, new_id)
        assert list(new_tree) == list(old_tree), f"{old_id}: file list changed"
        for path, (mode, kind, oid) in old_tree.items():
            new_mode, new_kind, new_oid = new_tree[path]
            assert (new_mode, new_kind) == (mode, kind), f"{old_id}:{path!r}: mode changed"
            if kind != b"blob":  # a gitlink: the id itself is the content
                assert new_oid == oid
                continue
            content = _blob(old, oid)
            if not _secrets_in(content, secrets):
                assert new_oid == oid, f"{old_id}:{path!r} changed without a secret in it"
            else:
                assert _blob(new, new_oid) == _replace(content, secrets), f"{old_id}:{path!r}"
    old_refs, new_refs = _refs(old), _refs(new)
    assert new_refs.keys() == old_refs.keys()
    for ref, target in old_refs.items():
        ref_kind = git(old, "cat-file", "-t", target).strip()
        assert git(new, "cat-file", "-t", new_refs[ref]).strip() == ref_kind, ref
        if ref_kind == "tag":
            old_headers, old_message = _headers_and_message(
                _git_bytes(old, "cat-file", "tag", target)
            )
            new_headers, new_message = _headers_and_message(
                _git_bytes(new, "cat-file", "tag", new_refs[ref])
            )
            assert new_headers == [_replace(h, secrets) for h in old_headers], (
                f"{ref}: tag name, type or tagger changed"
            )
            assert new_message == _replace(old_message, secrets), f"{ref}: tag message"
        old_commit = git(old, "rev-parse", f"{ref}^{{commit}}").strip()
        new_commit = git(new, "rev-parse", f"{ref}^{{commit}}").strip()
        assert new_commit == pairs[old_commit], f"{ref} points elsewhere"
    return pairs


# --- the repository ---------------------------------------------------------------------------

BINANCE_YAML = "binance:\n  api_key_name: trading-bot\n  private_key: |\n" + "".join(
    f"    {line}\n" for line in PEM.splitlines()
)
LOGO = bytes(range(256)) * 4  # binary, no secret: must come back byte for byte


def _leaky(path: Path) -> Path:
    """Branches, lightweight and annotated tags, a merge, a key in a file later deleted, a key
    on an unmerged branch only, a key in a commit message, a commit whose only change is
    adding a key, a key rotation that becomes an empty commit, an original empty commit, an
    Ed25519 PEM in a Binance config, and bytes that must not move: binary, CRLF, no final
    newline, an executable, a symlink, a gitlink, a path with a space and non-ASCII."""
    repo = make_repo(path)
    commit(
        repo,
        {
            "README.md": "# bot\n",
            "bot.py": "from binance.client import Client\n",
            "assets/logo.bin": LOGO,
            "crlf.txt": b"one\r\ntwo\r\n",
            "no-newline.txt": "end",
            "docs/na\u00efve notes.md": "caf\u00e9\n",
            "run.sh": "#!/bin/sh\nexec python bot.py\n",
        },
        "initial",
    )
    (repo / "run.sh").chmod(0o755)
    os.symlink("README.md", repo / "readme-link")
    git(repo, "add", "run.sh", "readme-link")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'ab' * 20},vendor/lib")
    (repo / "vendor/lib").mkdir(parents=True)  # an unpopulated submodule, as after a clone
    git(repo, "commit", "-q", "-m", "mode, symlink, gitlink")
    git(repo, "tag", "v0")  # lightweight, before any secret: must not move
    git(repo, "branch", "docs")
    commit(
        repo,
        {"bot.py": f'from binance.client import Client\nclient = Client("{K[0]}", "{K[1]}")\n'},
        "add keys",
    )
    commit(repo, {".env": f"BINANCE_API_KEY={K[2]}\n"}, "only change: a key")
    git(repo, "tag", "v1")  # lightweight
    git(repo, "branch", "wip")
    git(repo, "commit", "-q", "--allow-empty", "-m", "empty on purpose")
    git(repo, "checkout", "-q", "-b", "side")
    commit(
        repo,
        {"side.env": f"BINANCE_API_SECRET={K[3]}\n", "config/binance.yaml": BINANCE_YAML},
        "side config",
    )
    git(repo, "tag", "-a", "-m", "side release", "v2-side")
    git(repo, "tag", "-a", "-m", f"leaked again: BINANCE_API_SECRET={K[3]}", "v2-note")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"notes.md": "notes\n"}, f"oops BINANCE_API_KEY={K[4]}")
    git(repo, "merge", "-q", "--no-ff", "side", "-m", "merge side")
    git(repo, "rm", "-q", ".env")
    git(repo, "commit", "-q", "-m", "remove .env")
    commit(repo, {"bot.py": "import os\n"}, "use env vars")
    commit(repo, {"deploy/binance.env": f"BINANCE_API_KEY={K[5]}\n"}, "deploy")
    commit(repo, {"deploy/binance.env": f"BINANCE_API_KEY={K[6]}\n"}, "rotate: only a key")
    git(repo, "tag", "-a", "-m", "release 3", "v3")
    git(repo, "checkout", "-q", "wip")
    commit(repo, {"wip/settings.env": f"BINANCE_API_SECRET={K[7]}\n"}, "wip, never merged")
    git(repo, "checkout", "-q", "docs")
    commit(repo, {"docs/guide.md": "how to run\n"}, "docs only")
    git(repo, "checkout", "-q", "main")
    assert git(repo, "status", "--porcelain") == ""
    return repo


USED = [*K[:8], PEM_BODY]  # the secrets _leaky puts in history
USED_NAMES = {NAMES[secret.encode()] for secret in USED}
CHANGED = {
    "refs/heads/main",
    "refs/heads/side",
    "refs/heads/wip",
    "refs/tags/v1",
    "refs/tags/v2-side",
    "refs/tags/v2-note",
    "refs/tags/v3",
}
UNCHANGED = {"refs/heads/docs", "refs/tags/v0"}


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    return _leaky(tmp_path / "leaky")


@dataclasses.dataclass
class Scrubbed:
    repo: Path
    pristine: Path  # a mirror clone taken before the scrub
    refs: dict[str, str]
    counts: dict[str, int]
    proc: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def scrubbed(tmp_path_factory: pytest.TempPathFactory) -> Scrubbed:
    """One `scrub --in-place --yes` of the full repository, examined by many tests."""
    root = tmp_path_factory.mktemp("in-place")
    repo = _leaky(root / "leaky")
    pristine = _mirror(repo, root / "pristine.git")
    refs, counts = _refs(repo), _counts(repo)
    proc = _cli("scrub", "--in-place", "--yes", "--prune", str(repo))
    return Scrubbed(repo, pristine, refs, counts, proc)


# --- the fixture means something ---------------------------------------------------------------


def test_history_finds_every_planted_secret(leaky: Path) -> None:
    code, findings = _history(leaky)
    assert code == 1
    assert len({f["fingerprint"] for f in findings}) == len(USED)
    paths = {f["path"] for f in findings}
    assert {"bot.py", ".env", "side.env", "config/binance.yaml", "wip/settings.env"} <= paths
    assert "(commit message)" in paths
    content = _reachable_objects(leaky)
    assert _secrets_in(content) == USED_NAMES


# --- scrub --in-place --yes ------------------------------------------------------------------


def test_in_place_succeeds_and_says_so(scrubbed: Scrubbed) -> None:
    proc = scrubbed.proc
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(USED)} secret(s) to remove from history" in proc.stdout
    assert proc.stdout.count("[ok]") == 4 and "FAILED" not in proc.stdout
    assert "Revoke the keys first" in proc.stdout
    assert "re-clone" in proc.stdout and "Hosted copies" in proc.stdout
    for ref in CHANGED:
        assert f"  ref  {ref}\n" in proc.stdout
    for ref in UNCHANGED:
        assert ref not in proc.stdout


def test_in_place_history_finds_nothing(scrubbed: Scrubbed) -> None:
    assert _history(scrubbed.repo) == (0, [])


def test_in_place_no_object_holds_a_secret(scrubbed: Scrubbed) -> None:
    assert _secrets_in(_reachable_objects(scrubbed.repo)) == set()
    # With --prune, old objects were expired and pruned too, not only unreferenced.
    assert _secrets_in(_every_object(scrubbed.repo)) == set()
    every_commit = git(scrubbed.repo, "rev-list", "--all").split()
    for secret in USED:
        grep = subprocess.run(
            ["git", "grep", "-F", "-q", "-e", secret, *every_commit],
            cwd=scrubbed.repo,
            check=False,
        )
        assert grep.returncode == 1  # 1: no match (0: a match, 128: an error)


def test_in_place_markers_are_where_the_secrets_were(scrubbed: Scrubbed) -> None:
    repo = scrubbed.repo
    assert git(repo, "show", "v1:.env") == "BINANCE_API_KEY=***REMOVED***\n"
    yaml = git(repo, "show", "side:config/binance.yaml")
    assert yaml == BINANCE_YAML.replace(PEM_BODY, "***REMOVED***")
    assert "oops BINANCE_API_KEY=***REMOVED***" in git(repo, "log", "--format=%B")
    note = git(repo, "cat-file", "tag", "v2-note")
    assert "leaked again: BINANCE_API_SECRET=***REMOVED***" in note
    # The working tree follows the rewritten HEAD and is clean.
    assert git(repo, "status", "--porcelain") == ""
    deploy = (repo / "deploy/binance.env").read_text()
    assert deploy == "BINANCE_API_KEY=***REMOVED***\n"


def test_in_place_every_other_byte_is_identical(scrubbed: Scrubbed) -> None:
    pairs = _assert_only_secrets_changed(scrubbed.pristine, scrubbed.repo)
    # Cross-check the walk with filter-repo's own record of the rewrite.
    commit_map = (scrubbed.repo / ".git/filter-repo/commit-map").read_text().splitlines()[1:]
    recorded = dict(line.split() for line in commit_map)
    assert {old: recorded.get(old, old) for old in pairs} == pairs


def test_in_place_keeps_every_commit_of_every_ref(scrubbed: Scrubbed) -> None:
    assert _counts(scrubbed.repo) == scrubbed.counts
    repo = scrubbed.repo
    rotate = git(repo, "log", "-1", "--format=%H", "--grep=rotate: only a key", "main").strip()
    assert git(repo, "diff", "--stat", f"{rotate}^", rotate) == ""  # empty now, still there
    subjects = git(scrubbed.pristine, "log", "--format=%s", "main").encode()
    assert git(repo, "log", "--format=%s", "main").encode() == _replace(subjects)


def test_in_place_moves_only_the_refs_that_reach_a_secret(scrubbed: Scrubbed) -> None:
    after = _refs(scrubbed.repo)
    assert after.keys() == scrubbed.refs.keys()
    assert {r for r in after if after[r] != scrubbed.refs[r]} == CHANGED
    assert git(scrubbed.repo, "cat-file", "-t", "v3").strip() == "tag"  # still annotated
    assert git(scrubbed.repo, "cat-file", "-t", "v1").strip() == "commit"  # still lightweight


def test_in_place_push_instructions_name_each_changed_branch_and_tag(scrubbed: Scrubbed) -> None:
    commands = _pushes(scrubbed.proc.stdout)
    assert _pushed_refs(scrubbed.proc.stdout) == CHANGED
    for cmd in commands:
        ref = cmd[-1].split(":")[0]
        # The repository has no remote to name: the user fills it in.
        assert cmd[:2] == ["git", "-C"] and cmd[3:6] == ["push", "--force", "<your-remote>"]
        assert cmd[-1] == f"{ref}:{ref}"
    # Revoking comes first.
    out = scrubbed.proc.stdout
    assert out.index("Revoke the keys first") < out.index("push --force")


def test_in_place_backup_bundle_restores_the_original(scrubbed: Scrubbed) -> None:
    (bundle,) = scrubbed.repo.parent.glob("leaky.backup-*.bundle")
    assert str(bundle) in scrubbed.proc.stderr
    restored = _mirror(bundle, scrubbed.repo.parent / "restored.git")
    assert _refs(restored) == scrubbed.refs
    assert _counts(restored) == scrubbed.counts
    assert _secrets_in(_reachable_objects(restored)) == USED_NAMES


def test_second_scrub_is_a_no_op(scrubbed: Scrubbed, tmp_path: Path) -> None:
    repo = tmp_path / "again"
    shutil.copytree(scrubbed.repo, repo, symlinks=True)
    refs = _refs(repo)
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert "nothing to scrub" in proc.stdout
    assert _refs(repo) == refs
    assert not list(tmp_path.glob("*.bundle"))


# --- refusals and dry runs --------------------------------------------------------------------


def _untouched(repo: Path, refs: dict[str, str]) -> None:
    assert _refs(repo) == refs
    assert not list(repo.parent.glob("*.bundle")), "a backup was written"
    assert not list(repo.parent.glob("*.scrubbed-*")), "a mirror was written"
    git_dir = repo / ".git" if (repo / ".git").exists() else repo
    assert not (git_dir / "filter-repo").exists(), "filter-repo ran in the repository"


@pytest.mark.parametrize("change", ["modified", "staged"])
def test_dirty_tree_is_refused_and_nothing_changes(leaky: Path, change: str) -> None:
    refs = _refs(leaky)
    if change == "modified":
        write(leaky, "README.md", "uncommitted\n")
    else:
        write(leaky, "new.txt", "staged\n")
        git(leaky, "add", "new.txt")
    status = git(leaky, "status", "--porcelain")
    proc = _cli("scrub", "--in-place", "--yes", str(leaky))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "uncommitted changes" in proc.stderr and "nothing was changed" in proc.stderr
    _untouched(leaky, refs)
    assert git(leaky, "status", "--porcelain") == status


def test_dry_run_changes_nothing_and_exits_1(leaky: Path) -> None:
    refs = _refs(leaky)
    reflog = git(leaky, "reflog", "--all")
    proc = _cli("scrub", str(leaky))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "would change" in proc.stdout and "dry run: nothing was changed" in proc.stdout
    assert proc.stdout.count("[ok]") == 4
    for ref in CHANGED:
        assert f"  ref  {ref}\n" in proc.stdout
    for path in (".env", "bot.py", "side.env", "config/binance.yaml", "deploy/binance.env"):
        assert f"  file {path}\n" in proc.stdout
    assert "push --force" not in proc.stdout  # no instructions for a rewrite not done
    _untouched(leaky, refs)
    assert git(leaky, "reflog", "--all") == reflog
    assert git(leaky, "status", "--porcelain") == ""


def test_dry_run_with_in_place_changes_nothing(leaky: Path) -> None:
    refs = _refs(leaky)
    proc = _cli("scrub", "--in-place", str(leaky))
    assert proc.returncode == 1
    _untouched(leaky, refs)


# --- mirror mode -------------------------------------------------------------------------------


def test_mirror_mode_writes_output_and_leaves_the_original(leaky: Path, tmp_path: Path) -> None:
    pristine = _mirror(leaky, tmp_path / "pristine.git")
    refs, counts = _refs(leaky), _counts(leaky)
    target = tmp_path / "clean.git"
    proc = _cli("scrub", "--yes", "--output", str(target), str(leaky))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _untouched(leaky, refs)
    assert _secrets_in(_reachable_objects(leaky)) == USED_NAMES
    assert git(target, "rev-parse", "--is-bare-repository").strip() == "true"
    assert f"rewritten repository: {target}" in proc.stdout
    assert _secrets_in(_every_object(target)) == set()
    assert _counts(target) == counts
    _assert_only_secrets_changed(pristine, target)
    assert _pushed_refs(proc.stdout) == CHANGED
    for cmd in _pushes(proc.stdout):
        # No origin here: the user is told to fill in the remote, not sent to the local clone.
        assert cmd[:6] == ["git", "-C", str(target), "push", "--force", "<your-remote-url>"]


@pytest.mark.parametrize("user", ["", "deploy:ghp_notARealToken@"])
def test_mirror_mode_pushes_to_the_originals_remote(leaky: Path, tmp_path: Path, user: str) -> None:
    """A token in the origin URL is not printed (git asks its credential helper instead)."""
    git(leaky, "remote", "add", "origin", f"https://{user}example.com/bot.git")
    target = tmp_path / "clean.git"
    proc = _cli("scrub", "--yes", "--output", str(target), str(leaky))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = _pushes(proc.stdout)
    shown = "https://***@example.com/bot.git" if user else "https://example.com/bot.git"
    assert commands and all(cmd[5] == shown for cmd in commands)
    assert "ghp_" not in proc.stdout + proc.stderr


def test_mirror_mode_default_output_is_next_to_the_repository(leaky: Path) -> None:
    refs = _refs(leaky)
    proc = _cli("scrub", "--yes", str(leaky))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (target,) = leaky.parent.glob("leaky.scrubbed-*.git")
    assert re.fullmatch(r"leaky\.scrubbed-\d{8}-\d{6}\.git", target.name)
    assert f"rewritten repository: {target}" in proc.stdout
    assert _secrets_in(_reachable_objects(target)) == set()
    assert _refs(leaky) == refs


def test_mirror_mode_refuses_an_existing_output(leaky: Path, tmp_path: Path) -> None:
    refs = _refs(leaky)
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n")
    proc = _cli("scrub", "--yes", "--output", str(target), str(leaky))
    assert proc.returncode == 2
    assert "already exists" in proc.stderr
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert _refs(leaky) == refs


# --- --findings ---------------------------------------------------------------------------------


def test_findings_file_limits_the_scrub_to_those_secrets(leaky: Path, tmp_path: Path) -> None:
    pristine = _mirror(leaky, tmp_path / "pristine.git")
    _, findings = _history(leaky)
    chosen = [f for f in findings if f["path"] in ("side.env", "config/binance.yaml")]
    assert len(chosen) == 2
    (tmp_path / "chosen.json").write_text(json.dumps({"findings": chosen}))
    proc = _cli(
        "scrub",
        "--in-place",
        "--yes",
        "--prune",
        "--findings",
        str(tmp_path / "chosen.json"),
        str(leaky),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 secret(s) to remove" in proc.stdout
    removed = {K[3].encode(): MARKER, PEM_BODY.encode(): PRIVATE_MARKER}
    content = _every_object(leaky)
    assert _secrets_in(content, removed) == set()
    assert _secrets_in(content) == USED_NAMES - {"K[3]", "PEM body"}
    _assert_only_secrets_changed(pristine, leaky, removed)
    code, left = _history(leaky)
    assert (code, len({f["fingerprint"] for f in left})) == (1, len(USED) - 2)
    assert _pushed_refs(proc.stdout) == {"refs/heads/main", "refs/heads/side"} | {
        "refs/tags/v2-side",
        "refs/tags/v2-note",
        "refs/tags/v3",
    }


def test_findings_from_another_repository_are_refused(leaky: Path, tmp_path: Path) -> None:
    other = make_repo(tmp_path / "other")
    commit(other, {"x.env": f"BINANCE_API_KEY={K[10]}\n"})
    report = _cli("history", str(other), "--format", "json")
    assert report.returncode == 1
    (tmp_path / "other.json").write_text(report.stdout)
    refs = _refs(leaky)
    proc = _cli(
        "scrub", "--in-place", "--yes", "--findings", str(tmp_path / "other.json"), str(leaky)
    )
    assert proc.returncode == 2
    assert "not in this repository's history" in proc.stderr
    _untouched(leaky, refs)


@pytest.mark.parametrize("text", ["not json", '{"no": "findings"}', '{"findings": [1]}'])
def test_unreadable_findings_file_is_refused(leaky: Path, tmp_path: Path, text: str) -> None:
    (tmp_path / "bad.json").write_text(text)
    refs = _refs(leaky)
    proc = _cli(
        "scrub", "--in-place", "--yes", "--findings", str(tmp_path / "bad.json"), str(leaky)
    )
    assert proc.returncode == 2
    assert "cannot read findings" in proc.stderr
    _untouched(leaky, refs)


# --- nothing to do ------------------------------------------------------------------------------


def test_clean_repository_has_nothing_to_scrub(repo: Path) -> None:
    commit(repo, {"a.py": "x = 1\n", "bot.py": "from binance.client import Client\n"})
    refs = _refs(repo)
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert "nothing to scrub" in proc.stdout
    _untouched(repo, refs)


def test_repository_without_commits_has_nothing_to_scrub(repo: Path) -> None:
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0 and "nothing to scrub" in proc.stdout
    assert not list(repo.parent.glob("*.bundle"))


# --- other shapes of repository -----------------------------------------------------------------


def test_bare_repository_in_place(leaky: Path, tmp_path: Path) -> None:
    bare = _mirror(leaky, tmp_path / "bare.git")
    pristine = _mirror(leaky, tmp_path / "pristine.git")
    refs, counts = _refs(bare), _counts(bare)
    proc = _cli("scrub", "--in-place", "--yes", "--prune", str(bare))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _secrets_in(_every_object(bare)) == set()
    assert _history(bare) == (0, [])
    assert _counts(bare) == counts
    _assert_only_secrets_changed(pristine, bare)
    assert _pushed_refs(proc.stdout) == CHANGED
    (bundle,) = tmp_path.glob("bare.git.backup-*.bundle")
    assert _refs(_mirror(bundle, tmp_path / "restored.git")) == refs


def test_in_place_backup_goes_to_output(leaky: Path, tmp_path: Path) -> None:
    refs = _refs(leaky)
    backup = tmp_path / "elsewhere" / "before-scrub.bundle"
    backup.parent.mkdir()
    proc = _cli("scrub", "--in-place", "--yes", "--output", str(backup), str(leaky))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"backup of all refs written to {backup}" in proc.stderr
    assert not list(tmp_path.glob("leaky.backup-*"))
    assert _refs(_mirror(backup, tmp_path / "restored.git")) == refs


def _remote_with_clone(leaky: Path, tmp_path: Path) -> tuple[Path, Path]:
    remote = tmp_path / "remote.git"
    _git_bytes(tmp_path, "clone", "-q", "--bare", str(leaky), str(remote))
    work = tmp_path / "work"
    _git_bytes(tmp_path, "clone", "-q", str(remote), str(work))
    return remote, work


def _run_pushes(stdout: str, cwd: Path) -> None:
    commands = _pushes(stdout)
    assert commands
    for cmd in commands:
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)


def test_printed_pushes_clean_the_remote(leaky: Path, tmp_path: Path) -> None:
    """The next steps, followed to the letter, leave no secret on the remote."""
    remote, work = _remote_with_clone(leaky, tmp_path)
    for branch in ("side", "wip", "docs"):  # every branch checked out locally
        git(work, "branch", branch, f"origin/{branch}")
    proc = _cli("scrub", "--in-place", "--yes", str(work))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _run_pushes(proc.stdout, work)
    assert _secrets_in(_reachable_objects(remote)) == set()
    assert _history(remote) == (0, [])


# git allows ;, |, $( and ` in a branch name: a cloned repository's branches are its author's.
HOSTILE_BRANCHES = ("x;touch${IFS}pwned|true", "$(touch${IFS}pwned)", "`touch${IFS}pwned`")


def test_printed_commands_pasted_into_a_shell_run_nothing_else(leaky: Path, tmp_path: Path) -> None:
    """The next steps are meant to be pasted: each name in them stays one word of the command,
    and the pasted pushes still clean the remote."""
    for branch in HOSTILE_BRANCHES:
        git(leaky, "branch", branch, "side")
    remote, work = _remote_with_clone(leaky, tmp_path)
    for branch in ("side", "wip", "docs", *HOSTILE_BRANCHES):
        git(work, "branch", branch, f"origin/{branch}")
    proc = _cli("scrub", "--in-place", "--yes", str(work))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pushes = [line for line in proc.stdout.splitlines() if " push --force " in line]
    assert len(pushes) == len(CHANGED) + len(HOSTILE_BRANCHES)
    for line in pushes:
        subprocess.run(["sh", "-c", line], cwd=work, check=True, capture_output=True)
    assert not (work / "pwned").exists() and not (tmp_path / "pwned").exists()
    assert _secrets_in(_reachable_objects(remote)) == set()


def test_printed_pushes_clean_branches_only_tracked_remotely(leaky: Path, tmp_path: Path) -> None:
    remote, work = _remote_with_clone(leaky, tmp_path)  # only main is a local branch
    proc = _cli("scrub", "--in-place", "--yes", str(work))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _run_pushes(proc.stdout, work)
    assert _secrets_in(_reachable_objects(remote)) == set()


@pytest.mark.parametrize(
    ("remotes", "expected"),
    [((), "<your-remote>"), (("upstream",), "upstream"), (("fork", "upstream"), "<your-remote>")],
)
def test_in_place_pushes_name_a_remote_that_exists(
    leaky: Path, remotes: tuple[str, ...], expected: str
) -> None:
    """In place, the pushes name the repository's remote, never an `origin` it does not have."""
    for name in remotes:
        git(leaky, "remote", "add", name, f"https://example.com/{name}.git")
    proc = _cli("scrub", "--in-place", "--yes", str(leaky))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    commands = _pushes(proc.stdout)
    assert commands and all(cmd[3:6] == ["push", "--force", expected] for cmd in commands)


def test_annotated_tag_message_with_a_found_secret_is_scrubbed(scrubbed: Scrubbed) -> None:
    raw = git(scrubbed.repo, "cat-file", "tag", "v2-note")
    assert K[3] not in raw and "***REMOVED***" in raw


# --- bugs found by these tests ------------------------------------------------------------------


def _one_key_repo(path: Path) -> Path:
    repo = make_repo(path)
    commit(repo, {"README.md": "# bot\n"})
    commit(repo, {".env": f"BINANCE_API_KEY={K[8]}\n"}, "add key")
    return repo


def test_latin1_commit_message_survives(tmp_path: Path) -> None:
    repo = _one_key_repo(tmp_path / "latin1")
    git(repo, "config", "i18n.commitEncoding", "ISO-8859-1")
    write(repo, "b.txt", "b\n")
    git(repo, "add", "b.txt")
    (tmp_path / "msg").write_bytes("caf\u00e9\n".encode("latin-1"))
    git(repo, "commit", "-q", "-F", str(tmp_path / "msg"))
    pristine = _mirror(repo, tmp_path / "pristine.git")
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _assert_only_secrets_changed(pristine, repo)


def test_a_key_in_names_and_emails_is_replaced_there_too(tmp_path: Path) -> None:
    """A key pasted as user.name or user.email is in every commit's author or committer and
    in a tag's tagger: neither --replace-text nor --replace-message reaches those. The
    commit's were left (the proof failed); the tagger's were left while every check said ok."""
    repo = _one_key_repo(tmp_path / "identity")
    pasted = {
        "GIT_AUTHOR_NAME": f"Bob {K[8]}",
        "GIT_AUTHOR_EMAIL": f"{K[8]}@example.com",
        "GIT_COMMITTER_NAME": f"Ops {K[8]}",
        "GIT_COMMITTER_EMAIL": f"ops+{K[8]}@example.com",
    }
    env = {**os.environ, **GIT_ENV, "HOME": str(repo), **pasted}
    for args in (["commit", "-q", "--allow-empty", "-m", "as Bob"], ["tag", "-a", "-m", "r", "v1"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    pristine = _mirror(repo, tmp_path / "pristine.git")
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok] no commit or tag holds a scrubbed secret" in proc.stdout
    _assert_only_secrets_changed(pristine, repo)
    shown = git(repo, "for-each-ref", "--format=%(taggername) %(taggeremail)", "refs/tags")
    shown += git(repo, "log", "--all", "--format=%an %ae %cn %ce")
    assert K[8] not in shown
    assert "Bob ***REMOVED*** ***REMOVED***@example.com Ops ***REMOVED*** ops+***" in shown


def _stash_list(repo: Path) -> str:
    """What ``git stash list`` shows: each entry's message (the reflog's, not the commit's)."""
    return git(repo, "stash", "list", "--date=raw", "--format=%gd %gn %ge %gs")


@pytest.mark.parametrize("prune", [False, True])
def test_every_stash_entry_is_rewritten_and_keeps_its_message(tmp_path: Path, prune: bool) -> None:
    """filter-repo moves refs/stash alone (its reflog entry says "fast-import") and leaves the
    older entries on the old commits, the key in their base: every entry is rewritten, keeps
    its message, name and time, and --prune (which expires reflogs) keeps them too."""
    repo = _one_key_repo(tmp_path / "stash")
    for text in ("first\n", "second\n", "third\n"):
        write(repo, "README.md", text)
        git(repo, "stash", "push", "-q", "-m", f"keep {text.strip()}")
    stashes = _stash_list(repo)
    proc = _cli("scrub", "--in-place", "--yes", *(["--prune"] if prune else []), str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _stash_list(repo) == stashes and "keep first" in stashes
    for index, text in enumerate(("third\n", "second\n", "first\n")):
        assert git(repo, "show", f"stash@{{{index}}}:README.md") == text
        assert git(repo, "show", f"stash@{{{index}}}:.env") == "BINANCE_API_KEY=***REMOVED***\n"
    git(repo, "stash", "pop", "-q", "stash@{2}")
    assert (repo / "README.md").read_text() == "first\n"


def test_a_stash_does_not_stop_the_dry_run_or_the_mirror(tmp_path: Path) -> None:
    """A mirror clone carries refs/stash, which git-filter-repo's fresh-clone test refuses
    ('has stashed changes'): the first command anyone runs, the dry run, failed with exit 2."""
    repo = _one_key_repo(tmp_path / "stashed")
    write(repo, "README.md", "work in progress\n")
    git(repo, "stash", "-q")
    refs = _refs(repo)
    dry = _cli("scrub", str(repo))
    assert dry.returncode == 1 and "[ok] no ref reaches" in dry.stdout, dry.stdout + dry.stderr
    mirror = tmp_path / "clean.git"
    proc = _cli("scrub", "--yes", "--output", str(mirror), str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git(mirror, "show", "refs/stash:.env") == "BINANCE_API_KEY=***REMOVED***\n"
    assert _refs(repo) == refs


def test_a_stash_reflog_edited_by_hand_is_never_called_clean(tmp_path: Path) -> None:
    """Its newest entry dropped without moving refs/stash: rewriting the entries moved the
    ref to the older entry's rewrite, so git-filter-repo moves the ref alone, and the entry
    git stash list still shows keeps the key in its base commit. That was called ok while
    history read no stash entry but the newest; now the proof sees it and rolls back."""
    repo = _one_key_repo(tmp_path / "edited")
    for text in ("first\n", "second\n"):
        write(repo, "README.md", text)
        git(repo, "stash", "push", "-q", "-m", f"keep {text.strip()}")
    git(repo, "reflog", "delete", "refs/stash@{0}")
    refs = _refs(repo)
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "[FAILED] no ref reaches a scrubbed secret: 1 still reachable" in proc.stdout
    assert _refs(repo) == refs
    assert git(repo, "show", "refs/stash:README.md") == "second\n"


def test_notes_follow_the_rewritten_commits(tmp_path: Path) -> None:
    repo = _one_key_repo(tmp_path / "notes")
    git(repo, "notes", "add", "-m", "reviewed by ops", "HEAD")
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git(repo, "notes", "show", "HEAD", check=False) == "reviewed by ops\n"


def test_a_key_in_a_note_is_scrubbed_and_the_note_follows_its_commit(tmp_path: Path) -> None:
    """git-filter-repo rewrites the notes commits holding it but leaves them out of its
    commit-map: the proof called them lost and rolled back, so a key in a note stayed."""
    repo = _one_key_repo(tmp_path / "noted")
    git(repo, "notes", "add", "-m", f"deployed with BINANCE_API_KEY={K[9]}", "HEAD~1")
    git(repo, "notes", "add", "-m", "reviewed by ops", "HEAD")
    proc = _cli("scrub", "--in-place", "--yes", "--prune", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git(repo, "notes", "show", "HEAD~1") == "deployed with BINANCE_API_KEY=***REMOVED***\n"
    assert git(repo, "notes", "show", "HEAD") == "reviewed by ops\n"
    assert _secrets_in(_every_object(repo)) == set()
    assert _history(repo) == (0, [])


def test_tag_of_a_blob_is_refused_with_nothing_changed(tmp_path: Path) -> None:
    """filter-repo cannot rewrite a ref to a blob or tree: refuse rather than leave it."""
    repo = _one_key_repo(tmp_path / "blobtag")
    git(repo, "tag", "env-file", "HEAD:.env")
    refs = _refs(repo)
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 2
    assert "refs/tags/env-file" in proc.stderr and "git tag -d" in proc.stderr
    assert _refs(repo) == refs


def test_backup_is_outside_the_work_tree_when_run_from_a_subdirectory(tmp_path: Path) -> None:
    repo = _one_key_repo(tmp_path / "sub")
    commit(repo, {"src/app.py": "x = 1\n"})
    proc = _cli("scrub", "--in-place", "--yes", cwd=repo / "src")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert git(repo, "status", "--porcelain") == ""
    assert list(tmp_path.glob("sub.backup-*.bundle"))


def test_key_only_in_a_tag_message_is_scrubbed(tmp_path: Path) -> None:
    repo = _one_key_repo(tmp_path / "tagmsg")
    git(repo, "tag", "-a", "v1", "-m", f"release with BINANCE_API_KEY={K[9]}")
    _cli("scrub", "--in-place", "--yes", str(repo))
    assert "K[9]" not in _secrets_in(_reachable_objects(repo))


def test_key_only_in_a_tag_of_a_tag_is_scrubbed(tmp_path: Path) -> None:
    """The inner tag's message was never scanned (nothing to scrub, exit 0), and a ref to a
    tag of a tag was refused as pointing 'at a file or tree'."""
    repo = _one_key_repo(tmp_path / "nested")
    git(repo, "tag", "-a", "inner", "-m", f"release with BINANCE_API_KEY={K[10]}")
    git(repo, "-c", "advice.nestedTag=false", "tag", "-a", "outer", "-m", "outer", "inner")
    git(repo, "tag", "-d", "inner")
    proc = _cli("scrub", "--in-place", "--yes", str(repo))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 secret(s) to remove" in proc.stdout
    assert not _secrets_in(_reachable_objects(repo))


# --- at a terminal ----------------------------------------------------------------------------


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    import pty

    controller, tty = pty.openpty()
    yield controller, tty
    os.close(tty)
    os.close(controller)


@pytest.mark.parametrize(("answer", "code"), [("y\n", 0), ("n\n", 1), ("\n", 1)])
def test_terminal_confirmation(
    leaky: Path, terminal: tuple[int, int], answer: str, code: int
) -> None:
    controller, tty = terminal
    refs = _refs(leaky)
    os.write(controller, answer.encode())
    proc = subprocess.run(
        [sys.executable, "-m", "binance_guard", "scrub", "--in-place", "--prune", str(leaky)],
        stdin=tty,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Rewrite this repository now? [y/N]" in proc.stdout
    for secret in USED:
        assert secret not in proc.stdout + proc.stderr
    if answer.startswith("y"):
        assert _secrets_in(_every_object(leaky)) == set()
        assert "would change" in proc.stdout and "changed:" in proc.stdout
    else:
        assert "dry run: nothing was changed" in proc.stdout
        _untouched(leaky, refs)


def test_the_proof_compares_each_rewritten_blob_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every later commit's tree holds the blobs rewritten before it: comparing them again in
    each commit made the proof cubic in the keys (250 keys, one a commit: 19 s, now 4 s)."""
    from binance_guard import commands
    from binance_guard.scrub import preflight, proof, rules

    repo = make_repo(tmp_path / "repo")
    keys = [fake_key(f"once-{i}") for i in range(30)]
    for i, key in enumerate(keys):
        commit(repo, {f"k{i}.env": f"BINANCE_API_KEY={key}\n"}, f"key {i}")
    calls = []

    def counted(data: bytes, replacing: list[rules.Replacement]) -> bytes:
        calls.append(len(data))
        return rules.apply(data, replacing)

    for module in (preflight, proof):  # the names, then identities and blobs
        monkeypatch.setattr(module, "apply", counted)
    assert commands.run(["scrub", str(repo)]) == 1  # a dry run whose proof passed
    assert "[ok] every file identical except the replaced spans" in capsys.readouterr().out
    # a name, a commit's identity and a blob each once (it was 31 + 30 + 30 * 31 / 2)
    assert len(calls) <= 3 * len(keys) + 1, len(calls)


def _proven(
    original: Path, mirror: Path, rules: list[Replacement], refs: dict[str, str]
) -> dict[str, tuple[bool, str]]:
    """The proof's checks of ``mirror`` against ``original``: name -> (ok, detail)."""
    from binance_guard.policy import Policy
    from binance_guard.scrub.proof import Outcome, prove

    outcome = Outcome(target=str(mirror), dry_run=True)
    prove(
        str(original),
        str(mirror),
        rules,
        found=set(),
        scrubbed=set(),
        refs_before=refs,
        policy=Policy(),
        max_bytes=1 << 20,
        outcome=outcome,
    )
    return {check.name: (check.ok, check.detail) for check in outcome.checks}


def test_the_proof_fails_where_the_rewrite_went_wrong(tmp_path: Path) -> None:
    """Each check can fail: a ref on another commit, a commit lost, a file changed outside
    the secrets, a secret left in a commit (the rewrite here replaced none of them)."""
    from binance_guard.scrub.rewrite import filter_repo

    repo = make_repo(tmp_path / "repo")
    commit(repo, {"README.md": "# bot\n"}, "first")
    commit(repo, {".env": f"BINANCE_API_KEY={K[11]}\n"}, f"add {K[11]}")
    commit(repo, {"a.txt": "a\n"}, "later")
    refs = _refs(repo)
    mirror = _mirror(repo, tmp_path / "mirror.git")
    rules = [Replacement(K[11].encode(), MARKER)]
    filter_repo(str(mirror), rules)
    assert all(ok for ok, _ in _proven(repo, mirror, rules, refs).values())
    git(mirror, "update-ref", "refs/heads/main", "main~1")  # "later" is lost
    ok, detail = _proven(repo, mirror, rules, refs)["commits per ref unchanged"]
    assert not ok and detail.endswith(
        ": lost, or its parents changed; refs/heads/main: on another commit"
    )
    checks = _proven(repo, mirror, [Replacement(K[11].encode(), b"other")], refs)
    assert checks["every file identical except the replaced spans"][0] is False
    assert (
        "content differs outside the secrets"
        in checks["every file identical except the replaced spans"][1]
    )
    assert checks["no commit or tag holds a scrubbed secret"][0] is True
    unscrubbed = _mirror(repo, tmp_path / "unscrubbed.git")
    filter_repo(str(unscrubbed), [Replacement(b"nothing like a key", b"x")])
    checks = _proven(repo, unscrubbed, rules, refs)
    assert checks["no commit or tag holds a scrubbed secret"][0] is False
