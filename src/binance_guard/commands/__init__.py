"""The subcommands behind ``binance-guard``, one module each, like pre-commit's ``main.py``.

Imported only once the entry point has ruled out the hook's clean path. Dispatch is an
explicit chain that imports each command's module only when that command runs (start-up time)
and calls it with typed keyword arguments: the ``argparse.Namespace`` stops here.
"""

from __future__ import annotations

import io
import os
import sys

from binance_guard.errors import GuardError, UsageError
from binance_guard.exit_codes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from binance_guard.finding import Confidence
from binance_guard.policy import AnyOf, Policy

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from binance_guard.integrations.baseline import Baseline
    from binance_guard.sources.staged import Prefetch
    from binance_guard.verify import Settings

# The hook's flags and what each sets: with only these and file names, a blocked commit is
# reported without argparse, the command line of every other command (~10 ms of imports).
HOOK_FLAGS = {
    "-v": "verbose",
    "--verbose": "verbose",
    "--include-examples": "include_examples",
    "--no-config": "no_config",
    "--exit-zero": "exit_zero",
    "--show-secrets": "show_secrets",
    "--allow-incomplete": "allow_incomplete",
}


def _simple_hook(args: list[str], prefetch: Prefetch | None) -> Callable[[], int] | None:
    """``hook FILE... [flags]``, to run without argparse; None when the full parser must
    decide (an option with a value, ``--help``, a name starting with ``-``). ``prefetch``:
    see :func:`run`."""
    if args[:1] != ["hook"]:
        return None
    names, flags = [], set()
    for arg in args[1:]:
        if arg in HOOK_FLAGS:
            flags.add(HOOK_FLAGS[arg])
        elif arg.startswith("-"):
            return None
        else:
            names.append(arg)

    def hook_run() -> int:
        from binance_guard.commands import hook
        from binance_guard.sources.source import DEFAULT_MAX_BYTES

        root = _hook_root(prefetch)
        policy = user_policy(
            root or ".",
            config_file=None,
            no_config="no_config" in flags,
            min_confidence=None,
            include_examples="include_examples" in flags,
            baseline=None,
            exclude_files=(),
            exclude_lines=(),
        )
        code = hook.run(
            names,
            root=root,
            prefetch=prefetch,
            policy=policy,
            max_bytes=DEFAULT_MAX_BYTES,
            verbose="verbose" in flags,
            show_secrets="show_secrets" in flags,
            allow_incomplete="allow_incomplete" in flags,
        )
        return EXIT_CLEAN if "exit_zero" in flags and code == EXIT_FINDINGS else code

    return hook_run


def _parse(args: list[str]) -> argparse.Namespace:
    """pre-commit passes file names verbatim, and ``-notes.md`` is a file, not an option:
    for the hooks, unknown arguments naming existing files are files."""
    from binance_guard.commands import parser

    command_line = parser.build()
    options, unknown = command_line.parse_known_args(args)
    if unknown:
        if options.command != "hook" or not all(os.path.lexists(a) for a in unknown):
            command_line.error(f"unrecognized arguments: {' '.join(unknown)}")
        options.files = [*options.files, *unknown]
    return options


def _repo_root(options: argparse.Namespace) -> str:
    """The top of the repository a command scans: where its settings file is."""
    from binance_guard.sources import git

    target = getattr(options, "repo", None) or (getattr(options, "paths", None) or ["."])[0]
    top = git.toplevel(target)
    if top is not None:
        return top
    return target if os.path.isdir(target) else os.path.dirname(target) or "."


def user_policy(
    root: str,
    *,
    config_file: str | None,
    no_config: bool,
    min_confidence: str | None,
    include_examples: bool,
    baseline: str | None,
    exclude_files: Sequence[str],
    exclude_lines: Sequence[str],
    at: str | None = None,
) -> Policy:
    """The user's filters: flags over the settings file (at ``root``) over defaults. With
    ``at`` (a commit), the settings and baseline files inside the repository are read as that
    commit has them, not from the work tree (``ci``: a change under review cannot loosen the
    check of itself)."""
    import re

    from binance_guard import config

    settings = config.Config() if no_config else config.load(root, config_file, at)

    def any_of(patterns: Sequence[str]) -> AnyOf | None:
        return AnyOf(tuple(re.compile(p) for p in patterns)) if patterns else None

    try:
        exclude = any_of([*exclude_files, *settings.exclude_paths])
    except re.error as exc:
        raise UsageError(f"--exclude-files: invalid regular expression: {exc}") from None
    try:
        allow_lines = any_of([*exclude_lines, *settings.allow_regexes])
    except re.error as exc:
        raise UsageError(f"--exclude-lines: invalid regular expression: {exc}") from None
    accepted = None
    if baseline:
        from binance_guard.integrations.baseline import Baseline

        accepted = Baseline.load(baseline) if at is None else _baseline_at(root, at, baseline)
    return Policy(
        min_confidence=Confidence(min_confidence or settings.min_confidence or Confidence.MEDIUM),
        include_examples=include_examples,
        baseline=accepted,
        exclude_files=exclude,
        allow_paths=any_of(settings.allow_paths),
        allow_lines=allow_lines,
        fingerprints=frozenset(settings.fingerprints),
        commits=settings.commits,
    )


def _baseline_at(root: str, at: str, path: str) -> Baseline:
    """The baseline ``path`` as the commit ``at`` has it when it is the repository's (none
    when the commit lacks it: the change adds it), else the file, as named."""
    from binance_guard.integrations.baseline import Baseline
    from binance_guard.sources.source import as_committed

    committed = as_committed(path, root, at)
    if committed is None:
        return Baseline.load(path)
    named, data = committed
    return Baseline(set()) if data is None else Baseline.parse(f"{named} at {at[:12]}", data)


def _policy(options: argparse.Namespace, root: str, at: str | None = None) -> Policy:
    """The user's filters, from the options every scanning command shares."""
    return user_policy(
        root,
        config_file=options.config,
        no_config=options.no_config,
        min_confidence=options.min_confidence,
        include_examples=options.include_examples,
        baseline=options.baseline,
        exclude_files=options.exclude_files or (),
        exclude_lines=options.exclude_lines or (),
        at=at,
    )


def _settings(options: argparse.Namespace) -> Settings:
    from binance_guard.verify import Settings

    return Settings(
        api_url=options.api_url,
        key_timeout=options.verify_timeout,
        deadline=options.verify_deadline,
        max_response_bytes=options.max_response_bytes,
    )


def _verify(options: argparse.Namespace) -> Settings | None:
    """How to verify, or None when the user did not ask to."""
    asked = options.command == "verify" or getattr(options, "verify", False)
    return _settings(options) if asked else None


def _hook_root(prefetch: Prefetch | None) -> str | None:
    """The hook's work tree: git's answer to the clean path's question, else asked now."""
    if prefetch is not None:
        return prefetch.toplevel()
    from binance_guard.sources import git

    return git.toplevel(".")


def _dispatch(options: argparse.Namespace, prefetch: Prefetch | None) -> int:
    """``prefetch``: see :func:`run`."""
    command = options.command
    if command == "plugin-path":
        from binance_guard.integrations.baseline import plugin_path

        print(plugin_path())
        return EXIT_CLEAN
    if command == "audit":
        from binance_guard.commands import audit

        return audit.run(
            verify=_settings(options),
            private_key_file=options.private_key_file,
            fmt=options.format,
        )
    if command == "init":
        from binance_guard.commands import init

        return init.run(
            options.repo,
            force=options.force,
            github_action=options.github_action,
            baseline=options.baseline,
            repo_url=options.repo_url,
            rev=options.rev,
        )
    root = _repo_root(options)
    if command == "ci":
        code = _ci(options, root)
        return EXIT_CLEAN if options.exit_zero and code == EXIT_FINDINGS else code
    policy = _policy(options, root)
    if command == "scrub":
        from binance_guard.commands import scrub

        return scrub.run(
            options.repo,
            policy=policy,
            max_bytes=options.max_bytes,
            findings_file=options.findings,
            in_place=options.in_place,
            yes=options.yes,
            output=options.output,
            prune=options.prune,
            rollback=options.rollback,
            allow_incomplete=options.allow_incomplete,
        )
    if command == "fleet":
        from binance_guard.commands import fleet

        return fleet.run(
            options.repos,
            from_file=options.from_file,
            github_org=options.github_org,
            github_api_url=options.github_api_url,
            skip_forks=options.skip_forks,
            skip_archived=options.skip_archived,
            cache_dir=options.cache_dir,
            scheduler=options.scheduler,
            workers=options.workers,
            policy=policy,
            max_bytes=options.max_bytes,
            fmt=options.format,
            output=options.output,
            progress_bar=not options.no_progress,
            verify=_verify(options),
            allow_incomplete=options.allow_incomplete,
        )
    if getattr(options, "write_baseline", None) and (options.output or options.format != "text"):
        # It writes the baseline and no report: an --output file was left empty, "written".
        raise UsageError("--write-baseline writes only the baseline: drop --output and --format")
    if options.output:
        import contextlib

        from binance_guard.commands.common import not_a_link_in

        output = not_a_link_in(options.output, root)
        with (
            open(output, "w", encoding="utf-8", errors="surrogateescape") as handle,
            contextlib.redirect_stdout(handle),
        ):
            code = _report(options, policy, root, prefetch)
        print(f"binance-guard: report written to {options.output}", file=sys.stderr)
    else:
        code = _report(options, policy, root, prefetch)
    return EXIT_CLEAN if options.exit_zero and code == EXIT_FINDINGS else code


def _settings_files(options: argparse.Namespace, root: str) -> list[str]:
    """The repository's files ci's settings come from: the settings file (or the --config
    one) and the --baseline, when they are in the repository."""
    from binance_guard.config import CONFIG_FILE
    from binance_guard.sources.source import in_repository

    config = in_repository(options.config, root) if options.config else CONFIG_FILE
    baseline = in_repository(options.baseline, root) if options.baseline else None
    return sorted({name for name in (config, baseline) if name})


def _ci(options: argparse.Namespace, root: str) -> int:
    """ci reads its settings once it knows the event's base commit; its --output file gets
    the report, its standard output the annotations."""
    from binance_guard.commands import ci

    return ci.run(
        options.repo,
        policy=lambda at: _policy(options, root, at),
        settings_from=options.settings_from,
        settings_files=_settings_files(options, root),
        max_bytes=options.max_bytes,
        sarif_file=options.sarif_file,
        fail_on=options.fail_on,
        verify=_verify(options),
        allow_incomplete=options.allow_incomplete,
        output=options.output,
        fmt=options.format,
        show_secrets=options.show_secrets,
    )


def _report(
    options: argparse.Namespace, policy: Policy, root: str, prefetch: Prefetch | None
) -> int:
    """The scanning commands, which share --format, --output, --exit-zero, --show-secrets."""
    command = options.command
    if command in ("scan", "verify"):
        from binance_guard.commands import scan

        return scan.run(
            options.paths,
            policy=policy,
            all_files=options.all_files,
            max_bytes=options.max_bytes,
            fmt=options.format,
            show_secrets=options.show_secrets,
            verbose=options.verbose,
            verify=_verify(options),
            write_baseline=getattr(options, "write_baseline", None),
            root=root,
            allow_incomplete=options.allow_incomplete,
        )
    if command == "hook":
        from binance_guard.commands import hook

        return hook.run(
            options.files,
            root=_hook_root(prefetch),
            prefetch=prefetch,
            policy=policy,
            max_bytes=options.max_bytes,
            verbose=options.verbose,
            fmt=options.format,
            show_secrets=options.show_secrets,
            allow_incomplete=options.allow_incomplete,
        )
    if command == "pre-push":
        from binance_guard.commands import hook

        return hook.pre_push(
            options.remote,
            options.url,
            policy=policy,
            max_bytes=options.max_bytes,
            allow_incomplete=options.allow_incomplete,
            fmt=options.format,
            show_secrets=options.show_secrets,
        )
    if command == "history":
        from binance_guard.commands import history

        return history.run(
            options.repo,
            revs=options.rev,
            since_commit=options.since_commit,
            policy=policy,
            max_bytes=options.max_bytes,
            fmt=options.format,
            show_secrets=options.show_secrets,
            progress_bar=not options.no_progress,
            verify=_verify(options),
            allow_incomplete=options.allow_incomplete,
            jobs=options.jobs,
        )
    raise AssertionError(f"unhandled command {command!r}")  # the parser knows every command


def run(args: list[str], *, prefetch: Prefetch | None = None) -> int:
    """``prefetch``: the hook's staged patch as its clean path read it, and git's answers
    it started for the full scan."""
    # File names that are not UTF-8 reach the terminal as the bytes they are.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="surrogateescape")
    command = _simple_hook(args, prefetch)
    if command is None:
        options = _parse(args)

        def command() -> int:
            return _dispatch(options, prefetch)

    try:
        return command()
    except (GuardError, OSError) as exc:
        # Messages quote file names, refs and git's or a server's words: one line, escaped.
        from binance_guard.report.sanitize import terminal

        print(f"binance-guard: error: {terminal(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: still one line and exit 2, never 1 ("findings")
        print(
            f"binance-guard: error: internal error: {_where(exc)}; please report it",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _where(exc: BaseException) -> str:
    """The exception's type and the innermost line of this package that raised it; not its
    message, which may quote the input (a secret, a hostile file name)."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f"{os.sep}binance_guard{os.sep}" in f.filename]
    if not (ours or frames):
        return type(exc).__name__
    frame = (ours or frames)[-1]
    return f"{type(exc).__name__} at {os.path.basename(frame.filename)}:{frame.lineno}"
