"""SARIF 2.1.0 from every producer (`ci --sarif-file`, `scan --format sarif`, `history --format
sarif`), validated against the official schema; what GitHub code scanning relies on."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from testing.cli import run_cli
from testing.git_repo import commit, git, make_repo
from testing.github import (
    SARIF_SCHEMA,
    Project,
    file_results,
    line_hash,
    results,
    uri,
    validate_sarif,
)
from testing.keys import fake_hex_key, fake_key

KEY, SECRET, OTHER = fake_key("sarif-key"), fake_key("sarif-secret"), fake_key("sarif-other")
HEX = fake_hex_key("sarif-hex")
MESSAGE_KEY = fake_key("sarif-message")
AUTHOR_KEY = fake_key("sarif-author")
NAME_KEY, NAME_SECRET = fake_key("sarif-name-key"), fake_key("sarif-name-secret")
SECRETS = (KEY, SECRET, OTHER, HEX, MESSAGE_KEY, AUTHOR_KEY)
PAIR = f"BINANCE_API_KEY={KEY}\nBINANCE_API_SECRET={SECRET}\n"


def _sarif(text: str) -> dict[str, Any]:
    return validate_sarif(text, SECRETS)


def _findings_repo(path: Path) -> Path:
    repo = make_repo(path)
    commit(repo, {"README.md": "# bot\n"})
    commit(repo, {"deploy/bot.env": PAIR}, "credentials")
    commit(repo, {"testnet.py": f'exchange = "binance"\nclient_key = "{HEX}"  # binance\n'})
    commit(repo, {"other.env": f"BINANCE_API_KEY={OTHER}\n"}, f"BINANCE_API_KEY={MESSAGE_KEY}")
    git(repo, "commit", "-q", "--allow-empty", "-m", "x", f"--author=binance {AUTHOR_KEY} <a@b.c>")
    return repo


def _clean_repo(path: Path) -> Path:
    repo = make_repo(path)
    commit(repo, {"README.md": "# bot\n", "bot.py": "import os\nkey = os.environ['K']\n"})
    return repo


def _scan(repo: Path) -> str:
    proc = run_cli("scan", "--format", "sarif", cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def _history(repo: Path) -> str:
    proc = run_cli("history", ".", "--format", "sarif", "--no-progress", cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def _ci(repo: Path) -> str:
    sarif = repo.parent / f"{repo.name}-ci.sarif"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_SHA": git(repo, "rev-parse", "HEAD").strip(),
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/trading-bot",
    }
    proc = run_cli("ci", "--sarif-file", str(sarif), cwd=repo, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return sarif.read_text()


PRODUCERS: dict[str, Callable[[Path], str]] = {"scan": _scan, "history": _history, "ci": _ci}


def test_the_schema_is_the_official_draft_7_one() -> None:
    Draft7Validator.check_schema(SARIF_SCHEMA)
    assert SARIF_SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert SARIF_SCHEMA["$id"].endswith("sarif-schema-2.1.0.json")


@pytest.mark.parametrize("producer", sorted(PRODUCERS))
def test_sarif_with_findings_is_valid(tmp_path: Path, producer: str) -> None:
    document = _sarif(PRODUCERS[producer](_findings_repo(tmp_path / "repo")))
    (run,) = document["runs"]
    found = results(document)
    in_files = [r for r in found if "physicalLocation" in r["locations"][0]]
    logical = set()
    for result in found:  # messages and identities have no file: the commit is their place
        if result not in in_files:
            (place,) = result["locations"][0]["logicalLocations"]
            assert re.fullmatch(r"[0-9a-f]{40}", place["name"])
            logical.add(place["fullyQualifiedName"].split("/")[0])
    assert logical == (set() if producer == "scan" else {"commit_message", "author"})
    locations = {uri(r) for r in in_files}
    assert {"deploy/bot.env", "testnet.py", "other.env"} <= locations
    assert {r["ruleId"] for r in found} >= {"BG001", "BG002"}
    rules = run["tool"]["driver"]["rules"]
    assert len({rule["id"] for rule in rules}) == len(rules)
    for result in found:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning")
    for result in in_files:
        assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == (
            "%SRCROOT%"
        )
    for rule in rules:
        severity = float(rule["properties"]["security-severity"])
        assert 0.0 < severity <= 10.0
        assert rule["help"]["text"] and rule["shortDescription"]["text"]
    # a secret scores higher than the key it signs for
    by_id = {rule["id"]: float(rule["properties"]["security-severity"]) for rule in rules}
    assert by_id["BG002"] > by_id["BG001"]
    if producer == "ci":
        assert run["versionControlProvenance"][0]["repositoryUri"] == (
            "https://github.com/acme/trading-bot"
        )


@pytest.mark.parametrize("producer", sorted(PRODUCERS))
def test_empty_sarif_is_valid(tmp_path: Path, producer: str) -> None:
    document = _sarif(PRODUCERS[producer](_clean_repo(tmp_path / "repo")))
    assert results(document) == []
    assert document["runs"][0]["tool"]["driver"]["rules"] == []
    assert document["runs"][0]["tool"]["driver"]["name"] == "binance-guard"


def test_sarif_of_a_repository_without_commits_is_valid(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    assert results(_sarif(_history(repo))) == []


def test_ci_sarif_of_a_pull_request_is_valid(tmp_path: Path) -> None:
    project = Project(tmp_path)
    sarif = tmp_path / "pr.sarif"
    step = project.run_pr(project.pr_checkout(), project.pr_payload(), "--sarif-file", str(sarif))
    assert step.code == 1, step.explain()
    (result,) = results(step.sarif)
    assert uri(result) == "pr.env"
    assert result["properties"]["commit"] == project.added
    assert step.sarif["runs"][0]["versionControlProvenance"] == [
        {"repositoryUri": "https://github.com/acme/trading-bot", "revisionId": project.head}
    ]


@pytest.mark.parametrize("producer", sorted(PRODUCERS))
def test_fingerprints_are_stable_across_runs_and_distinct(tmp_path: Path, producer: str) -> None:
    repo = _findings_repo(tmp_path / "repo")
    first = results(_sarif(PRODUCERS[producer](repo)))
    second = results(_sarif(PRODUCERS[producer](repo)))
    assert [line_hash(r) for r in first] == [line_hash(r) for r in second]
    for result in first:
        assert re.fullmatch(r"[0-9a-f]+:\d+", line_hash(result)), line_hash(result)
    # every secret (and the key and secret of one pair) gets its own alert
    hashes = [line_hash(r) for r in first]
    assert len(set(hashes)) == len(hashes) >= 4
    secrets = {r["partialFingerprints"]["binanceGuardSecret/v1"] for r in first}
    assert len(secrets) == len(first)


def test_fingerprints_match_between_scan_history_and_ci(tmp_path: Path) -> None:
    """The alert a PR run raises is the one a later scan of main matches and closes."""
    repo = _findings_repo(tmp_path / "repo")
    by_producer = {
        name: {(uri(r), r["ruleId"]): line_hash(r) for r in file_results(_sarif(produce(repo)))}
        for name, produce in PRODUCERS.items()
    }
    files = by_producer["scan"]
    for name in ("history", "ci"):
        assert {k: v for k, v in by_producer[name].items() if k in files} == files


def test_fingerprint_follows_the_secret_not_the_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {"bot.env": f"BINANCE_API_KEY={KEY}\n"})
    before = {uri(r): line_hash(r) for r in results(_sarif(_scan(repo)))}
    commit(repo, {"bot.env": f"# production\n\nBINANCE_API_KEY={KEY}\n"})
    moved = results(_sarif(_scan(repo)))
    assert moved[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert {uri(r): line_hash(r) for r in moved} == before
    commit(repo, {"bot.env": f"BINANCE_API_KEY={OTHER}\n"})
    rotated = {uri(r): line_hash(r) for r in results(_sarif(_scan(repo)))}
    assert rotated.keys() == before.keys() and rotated != before


def test_no_secret_in_sarif_even_with_show_secrets(tmp_path: Path) -> None:
    repo = _findings_repo(tmp_path / "repo")
    # A key used as a name: the secret's reason once said "assigned to '<key>'" in full.
    commit(repo, {"keys.py": f'import binance\nKEYS = {{"{NAME_KEY}": "{NAME_SECRET}"}}\n'})
    names = (*SECRETS, NAME_KEY, NAME_SECRET)
    for produce in PRODUCERS.values():
        found = file_results(validate_sarif(produce(repo), names))  # no 9 characters of one
        assert {"deploy/bot.env", "keys.py"} <= {uri(r) for r in found}
        (named,) = [r for r in found if uri(r) == "keys.py" and r["ruleId"] == "BG002"]
        # A key in a name's place no longer names the secret (detection, f016eaa), so no
        # reason quotes it; validate_sarif checks no piece of it shows anywhere.
        reasons = named["properties"]["reasons"]
        assert reasons and not any(r.startswith("assigned to") for r in reasons)
    # --show-secrets is for the terminal: it must not put secrets in SARIF either
    proc = run_cli("scan", "--format", "sarif", "--show-secrets", cwd=repo)
    assert len(results(validate_sarif(proc.stdout, names))) >= 4


# RFC 3986 relative reference made of a path only: unreserved, sub-delims, ":", "@", "/" and
# percent-encoded octets (and no ":" in the first segment, which would read as a scheme).
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


def _valid_relative_uri(value: str) -> bool:
    first = value.split("/", 1)[0]
    return bool(_URI_CHARS.fullmatch(value)) and ":" not in first


def test_plain_paths_are_valid_relative_uris(tmp_path: Path) -> None:
    repo = _findings_repo(tmp_path / "repo")
    for result in results(_sarif(_scan(repo))):
        assert _valid_relative_uri(uri(result)), uri(result)


@pytest.mark.parametrize("name", ["my config.env", "keys#prod.env", "100%.env", "a:b.env"])
def test_paths_are_percent_encoded_in_uris(tmp_path: Path, name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, {name: f"BINANCE_API_KEY={KEY}\n"})
    (result,) = results(_sarif(_scan(repo)))
    assert _valid_relative_uri(uri(result)), uri(result)
    assert urllib.parse.unquote(uri(result)) == name


def test_an_incomplete_run_is_not_a_successful_one(tmp_path: Path) -> None:
    """A run that could not read everything says so in SARIF (code scanning shows the tool's
    notifications), where it looked like a clean upload."""
    repo = _clean_repo(tmp_path / "repo")
    commit(repo, {"bot.env": PAIR.replace("BINANCE_", "OLD_BINANCE_")}, "older settings")
    blob = git(repo, "rev-parse", "HEAD:bot.env").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    proc = run_cli("history", ".", "--format", "sarif", "--no-progress", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    (run,) = _sarif(proc.stdout)["runs"]
    assert run["invocations"] == [
        {
            "executionSuccessful": False,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": "INCOMPLETE: 1 object(s) missing or lost"}}
            ],
        }
    ]
    complete = _sarif(_history(_clean_repo(tmp_path / "clean")))
    assert "invocations" not in complete["runs"][0]
