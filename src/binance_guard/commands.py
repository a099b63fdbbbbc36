"""The subcommands behind ``binance-guard``: argument parsing, then sources -> scan -> report.

Imported only once the entry point has ruled out the hook's clean path.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import re
import sys
from typing import TYPE_CHECKING

from binance_guard.scan import Policy, blocking, scan_sources
from binance_guard.sources.source import Skipped
from binance_guard.verify import API_URL_ENV, DEFAULT_API_URL, PASSPHRASE_ENV, InsecureURL

if TYPE_CHECKING:
    from binance_guard.finding import Finding
    from binance_guard.history_scan import HistoryResult
    from binance_guard.scrub import Outcome

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    from binance_guard import __version__
    from binance_guard.sources.source import DEFAULT_MAX_BYTES

    parser = argparse.ArgumentParser(
        prog="binance-guard",
        description="Find Binance API credentials before they leak through git.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--min-confidence",
        choices=("low", "medium", "high"),
        default="medium",
        help="report findings at or above this confidence (default: medium)",
    )
    common.add_argument(
        "--include-examples",
        action="store_true",
        help="also report the example keys printed in Binance's docs (they never fail a run)",
    )
    common.add_argument(
        "--baseline",
        metavar="FILE",
        help="detect-secrets baseline: secrets it lists for a file are accepted",
    )
    common.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help=f"skip files larger than N bytes (default: {DEFAULT_MAX_BYTES})",
    )
    common.add_argument(
        "--exclude-files",
        action="append",
        metavar="REGEX",
        help="ignore findings in paths matching this regular expression (repeatable)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="list skipped files")

    remote = argparse.ArgumentParser(add_help=False)
    remote.add_argument(
        "--api-url",
        metavar="URL",
        default=os.environ.get(API_URL_ENV, DEFAULT_API_URL),
        help=f"Binance REST base URL for verification (env {API_URL_ENV}; default "
        f"{DEFAULT_API_URL}; testnet: https://testnet.binance.vision)",
    )
    verifiable = argparse.ArgumentParser(add_help=False, parents=[remote])
    verifiable.add_argument(
        "--verify", action="store_true", help="ask Binance whether found keys are live"
    )
    in_repo = argparse.ArgumentParser(add_help=False)
    in_repo.add_argument("repo", nargs="?", default=".", metavar="REPO")
    files = argparse.ArgumentParser(add_help=False)
    files.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    files.add_argument(
        "--all-files",
        action="store_true",
        help="scan every file under directories, not only those git would track",
    )
    files.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    files.add_argument(
        "--show-secrets",
        action="store_true",
        help="print secrets in full (dangerous: terminals and CI logs keep them)",
    )

    scan = commands.add_parser(
        "scan",
        parents=[common, files, verifiable],
        help="scan files and directories",
        description="Scan files; directories default to the files git would track.",
    )
    scan.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="accept the current findings: write them to a detect-secrets baseline",
    )
    commands.add_parser(
        "verify",
        parents=[common, files, remote],
        help="scan, then ask Binance whether each key is live and what it can do",
        description="Scan PATHs and verify each API key with its secret or private key by a "
        "signed GET /sapi/v1/account/apiRestrictions. Only the signature is sent.",
    )
    audit = commands.add_parser(
        "audit",
        parents=[remote],
        help="posture of your own key (from BINANCE_API_KEY / BINANCE_API_SECRET)",
        description="Check your own key's permissions, IP restriction and age. The key comes "
        "from BINANCE_API_KEY and BINANCE_API_SECRET, or --private-key-file for Ed25519/RSA "
        f"keys (passphrase in {PASSPHRASE_ENV}). Exit 0: low risk, 1: needs action, 2: error.",
    )
    audit.add_argument("--private-key-file", metavar="PEM")
    audit.add_argument("--format", choices=("text", "json"), default="text")

    hook = commands.add_parser(
        "hook",
        parents=[common],
        help="pre-commit hook: scan the lines this commit adds",
    )
    hook.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="limit to these files (pre-commit passes them); unstaged ones are scanned whole",
    )

    history = commands.add_parser(
        "history",
        parents=[common, in_repo, verifiable],
        help="scan every blob and commit message in history",
        description="Scan every blob reachable from all refs once (or those of --rev ranges) "
        "and say which commit introduced each secret.",
    )
    history.add_argument(
        "--rev",
        action="append",
        metavar="REV",
        help="rev-list arguments instead of --all (repeatable): A..B, a branch",
    )
    history.add_argument(
        "--since-commit",
        metavar="COMMIT",
        help="only what all refs added after COMMIT (same as --rev --all --rev ^COMMIT)",
    )
    history.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    history.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    scrub = commands.add_parser(
        "scrub",
        parents=[common, in_repo],
        help="rewrite history to remove leaked keys (git-filter-repo)",
        description="Replace every leaked secret in all refs with a marker. Dry run unless "
        "--yes; works on a new mirror clone unless --in-place; verifies the result.",
    )
    scrub.add_argument(
        "--findings",
        metavar="JSON",
        help="only scrub the secrets of this `history --format json` output",
    )
    scrub.add_argument(
        "--in-place",
        action="store_true",
        help="rewrite REPO itself (after a bundle backup) instead of a mirror clone",
    )
    scrub.add_argument("--yes", action="store_true", help="rewrite without asking")
    scrub.add_argument(
        "--output",
        metavar="PATH",
        help="mirror clone path (default: REPO.scrubbed-<time>.git); with "
        "--in-place, the backup bundle path",
    )

    ci = commands.add_parser(
        "ci",
        parents=[common, in_repo, verifiable],
        help="GitHub Actions: scan the commits the event brings (SARIF, annotations, summary)",
        description="Reads GITHUB_EVENT_NAME/GITHUB_EVENT_PATH and scans only the commits of "
        "the pull request or push, with annotations, a job summary and optional SARIF.",
    )
    ci.add_argument("--sarif-file", metavar="PATH", help="write SARIF 2.1.0 here")
    ci.add_argument(
        "--fail-on",
        choices=("any", *SEVERITY_ORDER, "never"),
        default="any",
        help="exit 1 on findings at or above this severity (default: any)",
    )
    commands.add_parser(
        "pre-push",
        parents=[common],
        help="pre-push hook: scan the commits being pushed",
        description="Scans PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF (set by pre-commit), or the "
        "commits of HEAD that no remote has.",
    )

    commands.add_parser("plugin-path", help="print the detect-secrets plugin file path")
    return parser


def _policy(options: argparse.Namespace) -> Policy:
    from binance_guard.baseline import Baseline

    try:
        exclude = (
            re.compile("|".join(f"(?:{p})" for p in options.exclude_files or []))
            if options.exclude_files
            else None
        )
    except re.error as exc:
        raise UsageError(f"--exclude-files: invalid regular expression: {exc}") from None
    return Policy(
        min_confidence=options.min_confidence,
        include_examples=options.include_examples,
        baseline=Baseline.load(options.baseline) if options.baseline else None,
        exclude_files=exclude,
    )


def _scan(options: argparse.Namespace) -> int:
    from binance_guard import baseline
    from binance_guard.report import json as json_report
    from binance_guard.report import text as text_report
    from binance_guard.sources.files import file_sources

    missing = [p for p in options.paths if not os.path.lexists(p)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    notes: list[str] = []
    policy = _policy(options)
    if getattr(options, "write_baseline", None):
        policy = dataclasses.replace(policy, baseline=None)
    result = scan_sources(
        file_sources(options.paths, options.all_files, options.max_bytes, notes), policy
    )
    if options.command == "verify" or options.verify:
        result.findings = _verified(result.findings, options)
    if getattr(options, "write_baseline", None):
        baseline.write(options.write_baseline, result.findings)
        print(
            f"binance-guard: wrote {len(result.findings)} finding(s) to {options.write_baseline}",
            file=sys.stderr,
        )
        return EXIT_CLEAN
    if options.format == "json":
        sys.stdout.write(
            json_report.render(result.findings, result.skipped, notes, options.show_secrets)
        )
    elif options.format == "sarif":
        from binance_guard.report import sarif

        sys.stdout.write(sarif.render(result.findings))
    else:
        sys.stdout.write(
            text_report.render(result.findings, result.skipped, notes, options.verbose, advice=True)
        )
        if options.show_secrets:
            for finding in result.findings:
                print(f"{finding.path}:{finding.line}: {finding.secret}")
    return EXIT_FINDINGS if result.blocking else EXIT_CLEAN


def _verified(findings: list[Finding], options: argparse.Namespace) -> list[Finding]:
    from binance_guard.verify.client import Client
    from binance_guard.verify.verifier import verify_findings

    return verify_findings(findings, Client(options.api_url))


def _audit(options: argparse.Namespace) -> int:
    import json
    import time

    from binance_guard.finding import redact
    from binance_guard.report import text as text_report
    from binance_guard.verify.client import Client
    from binance_guard.verify.signing import UnusableKey, hmac_signer, private_key_signer
    from binance_guard.verify.verifier import verify_credential

    api_key = os.environ.get("BINANCE_API_KEY", "")
    if not api_key:
        raise UsageError("set BINANCE_API_KEY (and BINANCE_API_SECRET or --private-key-file)")
    try:
        if options.private_key_file:
            with open(options.private_key_file, encoding="utf-8") as handle:
                pem = handle.read()
            passphrase = os.environ.get(PASSPHRASE_ENV)
            sign = private_key_signer(pem, passphrase.encode() if passphrase else None)
        elif os.environ.get("BINANCE_API_SECRET"):
            sign = hmac_signer(os.environ["BINANCE_API_SECRET"])
        else:
            raise UsageError("set BINANCE_API_SECRET, or pass --private-key-file")
    except UnusableKey as exc:
        raise UsageError(str(exc)) from None
    result = verify_credential(Client(options.api_url), api_key, sign, time.time())
    if options.format == "json":
        print(json.dumps({"api_key": redact(api_key), "verification": result.as_dict()}, indent=2))
    else:
        sys.stdout.write(text_report.render_audit(redact(api_key), result))
    if result.status != "live":
        return EXIT_ERROR
    return EXIT_CLEAN if result.severity == "low" else EXIT_FINDINGS


def _hook(options: argparse.Namespace) -> int:
    from binance_guard.report import text as text_report
    from binance_guard.sources.staged import staged_sources

    result = scan_sources(staged_sources(options.files, options.max_bytes), _policy(options))
    if not result.findings:
        return EXIT_CLEAN
    report = text_report.render(result.findings, verbose=options.verbose)
    if result.blocking:
        report = "Commit blocked by binance-guard.\n" + report
    sys.stdout.write(report)
    return EXIT_FINDINGS if result.blocking else EXIT_CLEAN


def _scan_range(
    options: argparse.Namespace, repo: str, revs: list[str] | None, progress_bar: bool
) -> HistoryResult:
    """History scan of ``revs`` (None: everything), verified if asked: history, ci, pre-push."""
    from binance_guard.history_scan import scan_history
    from binance_guard.report import progress

    bar = progress.for_history() if progress_bar else None
    try:
        result = scan_history(
            repo, revs, _policy(options), options.max_bytes, bar.update if bar else None
        )
    finally:
        if bar:
            bar.close()
    if getattr(options, "verify", False):
        result.findings = _verified(result.findings, options)
    return result


def _history(options: argparse.Namespace) -> int:
    from binance_guard.report import json as json_report
    from binance_guard.report import sarif
    from binance_guard.report import text as text_report

    revs: list[str] | None = list(options.rev or []) or None
    if options.since_commit:
        revs = [*(revs or ["--all"]), f"^{options.since_commit}"]
    result = _scan_range(options, options.repo, revs, not options.no_progress)
    skipped = [Skipped(f"{n} blob(s)", reason) for reason, n in sorted(result.skipped.items())]
    if options.format == "json":
        sys.stdout.write(json_report.render(result.findings, skipped, result.notes))
    elif options.format == "sarif":
        sys.stdout.write(sarif.render(result.findings))
    else:
        sys.stdout.write(
            text_report.render_history(
                result.findings, skipped, result.notes, result.blobs, result.bytes
            )
        )
    return EXIT_FINDINGS if blocking(result.findings) else EXIT_CLEAN


SEVERITY_ORDER = ("low", "medium", "high", "critical")


def _fails(findings: list[Finding], fail_on: str) -> bool:
    if fail_on == "never":
        return False
    floor = 0 if fail_on == "any" else SEVERITY_ORDER.index(fail_on)
    return any(SEVERITY_ORDER.index(f.severity) >= floor for f in blocking(findings))


def _ci(options: argparse.Namespace) -> int:
    from binance_guard.ci import github_range
    from binance_guard.history_scan import HistoryResult
    from binance_guard.report import github, sarif
    from binance_guard.report import text as text_report

    span, notes = github_range(os.environ, options.repo)
    print(f"binance-guard: scanning {span.description}")
    result = _scan_range(options, options.repo, span.revs, False) if span.revs else HistoryResult()
    findings = result.findings
    for note in notes + result.notes:
        print(f"note: {note}")
    sys.stdout.write(github.workflow_commands(findings))
    if findings:
        sys.stdout.write(text_report.render_history(findings, [], [], result.blobs, result.bytes))
    if options.sarif_file:
        server, repository = (
            os.environ.get("GITHUB_SERVER_URL"),
            os.environ.get("GITHUB_REPOSITORY"),
        )
        with open(options.sarif_file, "w", encoding="utf-8") as handle:
            handle.write(
                sarif.render(
                    findings, f"{server}/{repository}" if server and repository else None, span.head
                )
            )
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(github.summary(findings, span.description))
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(f"findings={len(findings)}\n")
            handle.write(f"sarif-file={options.sarif_file or ''}\n")
    return EXIT_FINDINGS if _fails(findings, options.fail_on) else EXIT_CLEAN


def _pre_push(options: argparse.Namespace) -> int:
    from binance_guard.ci import pre_push_range
    from binance_guard.report import text as text_report

    span = pre_push_range(os.environ)
    result = _scan_range(options, ".", span.revs, False)
    if not blocking(result.findings):
        return EXIT_CLEAN
    sys.stdout.write(f"Push blocked by binance-guard ({span.description}).\n")
    sys.stdout.write(
        text_report.render_history(result.findings, [], result.notes, result.blobs, result.bytes)
    )
    return EXIT_FINDINGS


def _selected_findings(options: argparse.Namespace, found: list[Finding]) -> list[Finding]:
    if not options.findings:
        return found
    import json

    from binance_guard.scrub import ScrubError

    try:
        with open(options.findings, encoding="utf-8") as handle:
            wanted = {f["fingerprint"] for f in json.load(handle)["findings"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"cannot read findings from {options.findings}: {exc}") from None
    present = {f.fingerprint for f in found}
    if wanted - present:
        raise ScrubError(
            f"{len(wanted - present)} of {len(wanted)} secrets in {options.findings} are not in "
            "this repository's history: wrong repository, or already scrubbed"
        )
    return [f for f in found if f.fingerprint in wanted]


def _scrub(options: argparse.Namespace) -> int:
    from binance_guard.history_scan import scan_history
    from binance_guard.scrub import next_steps, push_remote, scrub

    policy = _policy(options)
    history = scan_history(options.repo, None, policy, options.max_bytes)
    findings = _selected_findings(options, history.findings)
    if not findings:
        print("binance-guard: no secrets in history: nothing to scrub.")
        return EXIT_CLEAN
    secrets = {f.fingerprint: f for f in findings}
    print(f"binance-guard: {len(secrets)} secret(s) to remove from history:")
    for finding in secrets.values():
        print(f"  {finding.redacted}  {finding.type}  first at {finding.path}:{finding.line}")
    say = functools.partial(print, file=sys.stderr)
    if not options.yes:
        outcome = scrub(options.repo, findings, policy, options.in_place, False, None, say)
        _print_outcome(outcome)
        if not (sys.stdin.isatty() and outcome.ok and _confirm(options.in_place)):
            print("dry run: nothing was changed; run again with --yes to rewrite.")
            return EXIT_FINDINGS
    outcome = scrub(options.repo, findings, policy, options.in_place, True, options.output, say)
    _print_outcome(outcome)
    if not outcome.ok:
        print(
            "binance-guard: verification FAILED: do not push; restore from the backup.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    print(f"rewritten repository: {os.path.abspath(outcome.target)}")
    print(next_steps(outcome, "origin" if options.in_place else push_remote(options.repo)))
    return EXIT_CLEAN


def _confirm(in_place: bool) -> bool:
    answer = input(f"Rewrite {'this repository' if in_place else 'a mirror clone'} now? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _print_outcome(outcome: Outcome) -> None:
    print(
        f"{'would change' if outcome.target == '(dry run)' else 'changed'}: "
        f"{outcome.changed_commits} commit(s), {len(outcome.changed_files)} file(s), "
        f"{len(outcome.changed_refs)} ref(s)"
    )
    for ref in outcome.changed_refs:
        print(f"  ref  {ref}")
    for path in sorted(outcome.changed_files):
        print(f"  file {path}")
    for check in outcome.checks:
        print(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")


class UsageError(Exception):
    pass


def run(args: list[str]) -> int:
    options = _parser().parse_args(args)
    from binance_guard.baseline import BaselineError, plugin_path
    from binance_guard.ci import RangeError
    from binance_guard.scrub import ScrubError
    from binance_guard.sources.git import GitError

    try:
        if options.command == "plugin-path":
            print(plugin_path())
            return EXIT_CLEAN
        if options.command == "hook":
            return _hook(options)
        if options.command == "history":
            return _history(options)
        if options.command == "scrub":
            return _scrub(options)
        if options.command == "audit":
            return _audit(options)
        if options.command == "ci":
            return _ci(options)
        if options.command == "pre-push":
            return _pre_push(options)
        return _scan(options)
    except (
        UsageError,
        GitError,
        BaselineError,
        ScrubError,
        RangeError,
        InsecureURL,
        OSError,
    ) as exc:
        print(f"binance-guard: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
