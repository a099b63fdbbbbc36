"""The command line of ``binance-guard``: every subcommand and option."""

from __future__ import annotations

import argparse
import math
import os
import sys

from binance_guard import __version__
from binance_guard.config import CONFIG_FILE
from binance_guard.finding import Confidence, Severity
from binance_guard.sources.source import DEFAULT_MAX_BYTES
from binance_guard.verify import (
    API_URL_ENV,
    DEFAULT_API_URL,
    KEY_TIMEOUT_S,
    MAX_RESPONSE_BYTES,
    PASSPHRASE_ENV,
    RUN_DEADLINE_S,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing (~2 ms) for every command
if TYPE_CHECKING:
    from typing import NoReturn


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= 86_400:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 86400, not {value!r}")
    return seconds


def _byte_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of bytes, not {value!r}")
    return count


def positive_int(text: str) -> int:
    """A size limit of 0 or less would skip every file and report the run clean; no jobs or
    workers would do nothing."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    if value >= sys.maxsize:  # a read of N + 1 bytes overflows the C interface
        raise argparse.ArgumentTypeError(f"must be less than {sys.maxsize}")
    return value


FAIL_ON_HELP = (
    "exit 1 on findings at or above this severity: any (default), low, medium, high, "
    "critical, never. Without --verify a finding's severity is its evidence (a key with its "
    "secret or a private key is high, never critical), and an unverified high-confidence "
    "finding fails at every level but never: only Binance's answer (--verify) can show a key "
    "is not critical"
)


def epilog(exit_one: str, text: str) -> str:
    """What every scanning command's --help ends with: exit codes and output formats."""
    return f"""\
exit codes:
  0  nothing found (public example keys never count), or anything with --exit-zero
  1  {exit_one}
  2  usage or runtime error, or an incomplete scan (something could not be read or
     checked), unless --allow-incomplete accepts it

accepting a finding: `pragma: allowlist secret` (or gitleaks:allow, trufflehog:ignore,
  ggignore) in a comment on its line; [allowlist] in .binance-guard.toml; --baseline FILE

formats (--format; to stdout, or to --output FILE):
  text   {text}
         (values redacted unless --show-secrets)
  json   {{"findings": [...], "skipped": [...], "notes": [...], "incomplete": {{...}}}}: per
         finding type, path, line, column, fingerprint (sha256 of the value), redacted,
         confidence, severity, reasons, pair, and commit attribution for history; values
         only with --show-secrets; incomplete counts what could not be read or checked
  sarif  SARIF 2.1.0 for GitHub code scanning: one result per finding with its rule and
         security-severity, hashed partial fingerprints, commit messages as logical
         locations; an incomplete run's invocation is not successful
"""


FINDINGS_TEXT = "findings grouped by incident: file:line, redacted value, why, what to do"
HISTORY_TEXT = "a table per secret: where, status (at HEAD or history only), commit, refs"


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line, like every other error (exit 2): the message escaped for the
    terminal, a key typed as an argument not repeated in full (CI logs keep it), and where
    to read the usage instead of all of it."""

    def error(self, message: str) -> NoReturn:
        from binance_guard.report.redact import key_shaped
        from binance_guard.report.sanitize import terminal

        self.exit(
            2, f"binance-guard: error: {terminal(key_shaped(message))} (see {self.prog} --help)\n"
        )


def build() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="binance-guard",
        description="Find Binance API credentials before they leak through git.",
        epilog="exit codes: 0 nothing found, 1 credentials found, 2 usage or runtime error or "
        "an incomplete scan; `binance-guard COMMAND --help` says what each command means by "
        "them, and what it accepts",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = _Parser(add_help=False)
    common.add_argument(
        "--min-confidence",
        choices=Confidence.names(),
        help="report findings at or above this confidence (default: the config file's "
        "min_confidence, else medium)",
    )
    settings = common.add_mutually_exclusive_group()
    settings.add_argument(
        "--config",
        metavar="FILE",
        help=f"settings file (default: {CONFIG_FILE}, else [tool.binance-guard] in "
        "pyproject.toml, at the top of the repository)",
    )
    settings.add_argument(
        "--no-config", action="store_true", help="ignore the settings file: flags and defaults only"
    )
    common.add_argument(
        "--include-examples",
        action="store_true",
        help="also report the example keys printed in Binance's docs (they never fail a run)",
    )
    common.add_argument(
        "--baseline",
        metavar="FILE",
        help="detect-secrets baseline, or a previous --format json report of any command: "
        "secrets it lists for a file are accepted",
    )
    common.add_argument(
        "--max-bytes",
        type=positive_int,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help=f"skip files larger than N bytes (default: {DEFAULT_MAX_BYTES}); one that holds "
        "something key-shaped makes the run incomplete instead",
    )
    common.add_argument(
        "--exclude-files",
        action="append",
        metavar="REGEX",
        help="ignore findings in paths matching this regular expression (repeatable)",
    )
    common.add_argument(
        "--exclude-lines",
        action="append",
        metavar="REGEX",
        help="ignore findings on lines matching this regular expression (repeatable; "
        "detect-secrets' flag, the settings file's allowlist.regexes)",
    )
    # -v lists the files scan and the commit hook skip; the commands reading git objects have
    # nothing more to say, and take -v (gitleaks' habit) saying so.
    listing = _Parser(add_help=False)
    listing.add_argument("-v", "--verbose", action="store_true", help="list skipped files")
    counting = _Parser(add_help=False)
    counting.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="no effect on this command (accepted: -v is a habit)",
    )

    remote = _Parser(add_help=False)
    remote.add_argument(
        "--api-url",
        metavar="URL",
        default=os.environ.get(API_URL_ENV, DEFAULT_API_URL),
        help=f"Binance REST base URL for verification (env {API_URL_ENV}; default "
        f"{DEFAULT_API_URL}; testnet: https://testnet.binance.vision)",
    )
    remote.add_argument(
        "--verify-timeout",
        type=_seconds,
        default=KEY_TIMEOUT_S,
        metavar="SECONDS",
        help="most time one key's check may take, requests and waits included "
        f"(default: {KEY_TIMEOUT_S:g})",
    )
    remote.add_argument(
        "--verify-deadline",
        type=_seconds,
        default=RUN_DEADLINE_S,
        metavar="SECONDS",
        help="most time all checks may take; keys not reached by then are not_checked "
        f"(default: {RUN_DEADLINE_S:g})",
    )
    remote.add_argument(
        "--max-response-bytes",
        type=_byte_count,
        default=MAX_RESPONSE_BYTES,
        metavar="N",
        help=f"refuse server answers larger than N bytes (default: {MAX_RESPONSE_BYTES})",
    )
    verifiable = _Parser(add_help=False, parents=[remote])
    verifiable.add_argument(
        "--verify", action="store_true", help="ask Binance whether found keys are live"
    )
    in_repo = _Parser(add_help=False)
    in_repo.add_argument(
        "repo", nargs="?", default=".", metavar="REPO", help="the git repository (default: .)"
    )
    readable = _Parser(add_help=False)
    readable.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="accept a scan that could not look at everything (unreadable files, missing "
        "objects, a partial or shallow clone's absent history, keys --verify could not check) "
        "instead of exiting 2",
    )
    files = _Parser(add_help=False)
    files.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="files and directories (default: .); - reads standard input",
    )
    files.add_argument(
        "--all-files",
        action="store_true",
        help="scan every file under directories, not only those git would track",
    )
    reporting = _Parser(add_help=False)
    reporting.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="report format (default: text; see below)",
    )
    reporting.add_argument(
        "--output", metavar="FILE", help="write the report to FILE instead of standard output"
    )
    reporting.add_argument(
        "--exit-zero",
        action="store_true",
        help="report findings but exit 0 (errors and incomplete scans still exit 2)",
    )
    reporting.add_argument(
        "--show-secrets",
        action="store_true",
        help="print secrets in full (dangerous: terminals and CI logs keep them)",
    )

    scan = commands.add_parser(
        "scan",
        parents=[common, listing, files, readable, reporting, verifiable],
        help="scan files and directories",
        description="Scan files; directories default to the files git would track.",
        epilog=epilog("credentials found", FINDINGS_TEXT),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="accept the current findings: write them to a detect-secrets baseline (and no "
        "report: not with --output or --format)",
    )
    commands.add_parser(
        "verify",
        parents=[common, listing, files, readable, reporting, remote],
        help="scan, then ask Binance whether each key is live and what it can do",
        description="Scan PATHs and verify each API key with its secret or private key by a "
        "signed GET /sapi/v1/account/apiRestrictions. Only the signature is sent.",
        epilog=epilog("credentials found", FINDINGS_TEXT + ", and Binance's answer"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit = commands.add_parser(
        "audit",
        parents=[remote],
        help="posture of your own key (from BINANCE_API_KEY / BINANCE_API_SECRET)",
        description="Check your own key's permissions, IP restriction and age. The key comes "
        "from BINANCE_API_KEY and BINANCE_API_SECRET, or --private-key-file for Ed25519/RSA "
        f"keys (passphrase in {PASSPHRASE_ENV}). Exit 0: low risk, 1: needs action, 2: error.",
    )
    audit.add_argument(
        "--private-key-file",
        metavar="PEM",
        help="the Ed25519 or RSA private key of the key in BINANCE_API_KEY, instead of "
        "BINANCE_API_SECRET",
    )
    audit.add_argument(
        "--format", choices=("text", "json"), default="text", help="report format (default: text)"
    )

    hook = commands.add_parser(
        "hook",
        parents=[common, listing, readable, reporting],
        help="pre-commit hook: scan the lines this commit adds",
        description="Scan the lines the staged change adds, with the whole staged files as "
        "context. A clean commit costs about one `git diff`.",
        epilog=epilog("credentials in the added lines: the commit is blocked", FINDINGS_TEXT),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hook.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="limit to these files (pre-commit passes them); unstaged ones are scanned whole",
    )

    history = commands.add_parser(
        "history",
        parents=[common, counting, in_repo, readable, reporting, verifiable],
        help="scan every blob and commit message in history",
        description="Scan every blob reachable from all refs once (or those of --rev ranges) "
        "and say which commit introduced each secret.",
        epilog=epilog("credentials found in history", HISTORY_TEXT),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    history.add_argument(
        "--rev",
        action="append",
        metavar="REV",
        help="rev-list arguments instead of --all (repeatable): A..B, a branch, --rev=--all",
    )
    history.add_argument(
        "--since-commit",
        metavar="COMMIT",
        help="only what all refs added after COMMIT (same as --rev=--all --rev ^COMMIT)",
    )
    history.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    history.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        metavar="N",
        help="parallel blob readers (default: the CPUs this process may use, at most 8)",
    )

    scrub = commands.add_parser(
        "scrub",
        parents=[common, counting, in_repo, readable],
        help="rewrite history to remove leaked keys (git-filter-repo)",
        description="Replace every leaked secret in all refs with a marker. Dry run unless "
        "--yes; works on a new mirror clone unless --in-place; verifies the result.",
        epilog="""\
exit codes:
  0  nothing to scrub, or rewritten and proven (or --rollback done)
  1  dry run: secrets found, nothing changed (run again with --yes)
  2  usage or runtime error, a failed proof, an interruption, or history that
     could not be read entirely, unless --allow-incomplete accepts it
""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        "--in-place, the backup bundle path (outside the repository)",
    )
    scrub.add_argument(
        "--prune",
        action="store_true",
        help="with --in-place: after a proven rewrite, expire reflogs and delete the old "
        "objects, dropping reset-away commits (they stay in the backup); stash entries, "
        "rewritten, stay",
    )
    scrub.add_argument(
        "--rollback",
        action="store_true",
        help="undo an interrupted --in-place scrub: put every ref back as it was before it",
    )

    ci = commands.add_parser(
        "ci",
        parents=[common, counting, in_repo, readable, reporting, verifiable],
        help="GitHub Actions: scan the commits the event brings (SARIF, annotations, summary)",
        description="Reads GITHUB_EVENT_NAME/GITHUB_EVENT_PATH and scans only the commits of "
        "the pull request or push, with annotations, a job summary and optional SARIF. "
        "Standard output always carries the annotations and the text table; --output FILE "
        "gets the report in --format.",
        epilog=epilog("findings at or above --fail-on", HISTORY_TEXT),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ci.add_argument("--sarif-file", metavar="PATH", help="write SARIF 2.1.0 here")
    ci.add_argument(
        "--fail-on",
        choices=("any", *Severity.names(), "never"),
        default="any",
        help=FAIL_ON_HELP,
    )
    ci.add_argument(
        "--settings-from",
        choices=("base", "head"),
        default="base",
        help="for a pull request or a push, read the settings file, and a --config or "
        "--baseline file inside the repository, from the base commit (default): the change "
        "under review cannot loosen its own check, its edits apply once merged. 'head' reads "
        "them from the checkout under review, so a pull request can allowlist its own key",
    )
    pre_push = commands.add_parser(
        "pre-push",
        parents=[common, counting, readable, reporting],
        help="pre-push hook: scan the commits being pushed",
        description='As .git/hooks/pre-push (`binance-guard pre-push "$@"`): scans every '
        "ref git says it pushes (stdin), new branches included. Through pre-commit: "
        "PRE_COMMIT_FROM_REF..PRE_COMMIT_TO_REF. Run by hand: the commits of HEAD no remote has.",
        epilog=epilog("credentials in the pushed commits: the push is blocked", HISTORY_TEXT),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pre_push.add_argument("remote", nargs="?", help="the remote's name (git passes it)")
    pre_push.add_argument("url", nargs="?", help="the remote's URL (git passes it)")

    fleet = commands.add_parser(
        "fleet",
        parents=[common, counting, readable, verifiable],
        help="scan many repositories' histories incrementally, on Dask",
        description="Mirror every repository (paths, directories of repositories, clone URLs, "
        "--from FILE, --github-org), scan each blob no earlier run has scanned exactly once "
        "across the fleet, attribute like `history`, and report what is new, unchanged and "
        "gone. Needs the extra binance-guard[fleet]. Exit 0 clean, 1 findings, 2 when any "
        "repository could not be fully scanned or --verify could not check a key (unless "
        "--allow-incomplete).",
    )
    fleet.add_argument("repos", nargs="*", metavar="REPO", help="path, directory or clone URL")
    fleet.add_argument("--from", dest="from_file", metavar="FILE", help="repositories, one a line")
    fleet.add_argument("--github-org", metavar="NAME", help="every repository of this organisation")
    fleet.add_argument(
        "--github-api-url",
        metavar="URL",
        default="https://api.github.com",
        help="GitHub (Enterprise) REST API base (token from GITHUB_TOKEN)",
    )
    fleet.add_argument("--skip-forks", action="store_true", help="leave out discovered forks")
    fleet.add_argument(
        "--skip-archived", action="store_true", help="leave out discovered archived repositories"
    )
    fleet.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="mirrors and the state store (default: binance-guard/fleet in $XDG_CACHE_HOME, "
        "else ~/.cache); with --scheduler, a path every worker can read",
    )
    fleet.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="an existing Dask cluster's scheduler"
    )
    fleet.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="local cluster size (default: one per CPU)",
    )
    fleet.add_argument(
        "--format",
        choices=("text", "json", "sarif", "html"),
        default="text",
        help="report format (default: text; html: one self-contained page)",
    )
    fleet.add_argument("--output", metavar="FILE", help="write the report here")
    fleet.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    init = commands.add_parser(
        "init",
        parents=[in_repo],
        help="set a repository up: pre-commit hooks, .gitignore, settings file (idempotent)",
        description="Write .pre-commit-config.yaml with both hooks pinned by commit (with "
        "--baseline when the repository has one), .gitignore entries for the files that "
        "usually hold keys, and .binance-guard.toml; merge into existing files, never "
        "replace them without --force. Exit 0: done, 2: not a git repository or an error.",
    )
    init.add_argument("--force", action="store_true", help="replace existing files")
    init.add_argument(
        "--github-action",
        action="store_true",
        help="also write .github/workflows/binance-guard.yml",
    )
    init.add_argument(
        "--baseline",
        metavar="FILE",
        help="pass this baseline to the hooks (default: .secrets.baseline if it exists)",
    )
    init.add_argument(
        "--repo-url",
        metavar="URL",
        help="where pre-commit fetches binance-guard (default: where it was installed from, "
        "else its GitHub repository)",
    )
    init.add_argument(
        "--rev",
        metavar="SHA",
        help="full commit SHA to pin (default: the commit this copy was installed from)",
    )
    commands.add_parser(
        "plugin-path",
        help="print the detect-secrets plugin file path",
        description="Print the path of the detect-secrets plugin file, for `detect-secrets "
        "scan --plugin`. A baseline written by `scan --write-baseline` names a portable copy.",
    )
    return parser
