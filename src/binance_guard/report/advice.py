"""Every piece of remediation advice the reports give, in one place to keep them consistent.

Binance's own advice (the seed document): delete a leaked key first, then create a new one
with the least privilege, withdrawals off and an IP restriction; rotate every 90 days.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from binance_guard.scrub.proof import Outcome


ADVICE = """\
What to do now:
  1. Take the value out of the file and load it at run time from an environment variable
     (e.g. BINANCE_API_KEY / BINANCE_API_SECRET) or a secrets manager.
  2. If this key was ever pushed, shared or committed before, treat it as stolen: delete it
     in Binance (Profile > API Management) first, then create a new key with only the
     permissions you need, withdrawals off, restricted to your server's IP.
  3. Not a real key? Mark the line with `# pragma: allowlist secret`; or list its fingerprint
     (--format json) with a reason under [[allowlist.fingerprints]] in .binance-guard.toml;
     or accept it in a baseline: binance-guard scan --write-baseline .secrets.baseline,
     then add `args: [--baseline, .secrets.baseline]` to both hooks in .pre-commit-config.yaml"""


def baseline_written(count: int, baseline: str, shim: str) -> str:
    """What ``scan --write-baseline`` leaves to do: a baseline left uncommitted, or given to
    no hook, accepts nothing. Paths relative to the repository's top, where hooks run."""
    return (
        f"binance-guard: wrote {count} finding(s) to {baseline}\n"
        f"Next: commit it with {shim} (the plugins detect-secrets loads for it),\n"
        f"and pass it to both hooks in .pre-commit-config.yaml: args: [--baseline, {baseline}]\n"
    )


HISTORY_ADVICE = """\
What to do now:
  1. Delete every key listed above in Binance (Profile > API Management), even those only in
     history: anyone who cloned or forked the repository has them. Then review recent orders,
     withdrawals and transfers.
  2. Create new keys with only the permissions you need, withdrawals off, restricted to your
     server's IP, and keep them out of the repository (environment variables, secrets manager).
  3. Then remove the old values from history: binance-guard scrub (dry run first), then
     force-push every changed branch and tag; collaborators must re-clone."""

INCIDENT_STEPS = """\
This key is LIVE. Incident steps (Binance's advice):
  1. Delete the key now: Binance > Profile > API Management.
  2. Review recent orders, withdrawals and transfers for activity you did not make.
  3. Change your Binance password and review authorised devices.
  4. Create a fresh key with the least privilege (withdrawals off) and IP restriction.
  5. If withdrawals occurred, contact Binance support at once and report it."""

REMEDIATION = (
    "Delete the key in Binance (Profile > API Management) first: a pushed key must be treated "
    "as stolen. Create a new key with only the permissions you need, withdrawals off and "
    "restricted to your server's IP, and load it from an environment variable or a secrets "
    "manager. Then remove it from history (binance-guard scrub)."
)

SETTINGS_EDITED = (
    "This change edits {name}, which decides what this check reports (allowlist, exclusions, "
    "baseline, minimum confidence)."
)
# ci's --settings-from: how the edit counts in this run.
SETTINGS_FROM = {
    "base": " This run read it as the base commit has it: the edits apply once merged, and "
    "can then silence keys. Review that file's diff.",
    "head": " This run read it from the change itself (settings-from: head): a pull request "
    "can silence its own key there. Review that file's diff before trusting a pass.",
}

ANNOTATION = "Delete it in Binance API Management first, then load it from a secret store."

SUMMARY = (
    "Delete each key in Binance API Management before anything else: a pushed key must be "
    "treated as stolen."
)


def resign_advice(signed: tuple[int, int]) -> str:
    commits, tags = signed
    if not commits and not tags:
        return ""
    lines = [
        f"signatures: {commits} signed commit(s) and {tags} signed tag(s) will be rewritten and "
        "lose their signatures (a signature cannot survive a change to what it signs).",
        "  Re-sign after checking the result: commits with",
        "    git rebase --rebase-merges --exec 'git commit --amend --no-edit --no-verify -S' "
        "<first rewritten commit>^",
        "  and tags with  git tag -f -s <tag> <tag>^{}",
    ]
    return "\n".join(lines)


def scrub_next_steps(outcome: Outcome, remote: str) -> str:
    """What to do after the rewrite, with commands to paste (``remote``: as a shell word)."""
    from binance_guard.report.sanitize import shell

    where = "git " if outcome.dry_run else f"git -C {shell(outcome.target)} "
    lines = [
        "Next steps, in this order:",
        "  1. Revoke the keys first: delete them in Binance (Profile > API Management) and",
        "     create new ones. Rewriting history does not un-leak a key that was pushed.",
        "  2. Push every rewritten branch and tag (and notes):",
    ]
    pushes = {
        ref: ref
        for ref in outcome.changed_refs
        if ref.startswith(("refs/heads/", "refs/tags/", "refs/notes/"))
    }
    # A fresh clone has most branches only as origin's remote-tracking refs: those were
    # rewritten too, and the remote keeps the secrets unless they are pushed as well.
    for ref in outcome.changed_refs:
        branch = ref.removeprefix("refs/remotes/origin/")
        if branch != ref and branch != "HEAD" and f"refs/heads/{branch}" not in pushes.values():
            pushes[ref] = f"refs/heads/{branch}"
    for source, destination in pushes.items():
        lines.append(f"       {where}push --force {remote} {shell(f'{source}:{destination}')}")
    lines += [
        "  3. Every collaborator must re-clone (a pull would bring the old history back).",
        "  4. Hosted copies keep the old commits: pull-request refs, forks and caches need the",
        "     host's support to purge (GitHub: contact support with the affected commit ids).",
    ]
    if outcome.backup:
        lines += [
            f"  5. The backup {outcome.backup} (mode 0600) holds the whole history as it was,",
            "     every removed secret included"
            + (
                f", and {outcome.reflog_only} commit(s) only reflogs reached"
                if outcome.reflog_only
                else ""
            )
            + ". Keep it off shared",
            "     disks; delete it once the keys are revoked and the pushed history checked:",
            f"       rm {shell(outcome.backup)}",
        ]
    if outcome.backup and not outcome.pruned:
        lines += [
            "  6. This repository still holds the old objects (reflogs, stash entries, old",
            "     commits; never pushed by git). Once you no longer need them:",
            f"       {where}reflog expire --expire=now --all && {where}gc --prune=now",
        ]
    return "\n".join(lines)
