"""Rewrite history so no ref reaches a leaked secret, with git-filter-repo as the engine,
and prove that nothing but the secrets changed.

A dry run rewrites a fresh mirror clone and reports what changed there. ``--yes`` keeps such a
mirror, or (``--in-place``) rewrites the user's repository, and then only after the checks
git-filter-repo itself would make (and stricter ones): no operation in progress, no linked
worktree, a clean work tree, and a 0600 bundle backup that also holds what only reflogs reach.
Old objects and reflogs stay until the user consents (``--prune``), so nothing is destroyed.

An in-place run writes a journal (the refs before it) into the git directory first: a failure,
SIGTERM, SIGINT or a failed proof rolls the refs back to exactly that; after a SIGKILL the next
run refuses and names ``scrub --rollback``. Replacements (the secrets themselves) reach
git-filter-repo through pipes, never a file.

One module a step: ``preflight`` (what to refuse), ``journal`` (temporary directory, signals,
journal, rollback), ``backup``, ``rules`` (what each secret becomes), ``rewrite``
(git-filter-repo), ``stash`` (its entries through a rewrite), ``proof``, and ``run``, which
puts them in order. The advice the command
prints lives with all other advice, in ``report/advice.py``.
"""

from __future__ import annotations

from binance_guard.errors import GuardError

NOTHING_CHANGED = "(nothing was changed)"


class ScrubError(GuardError, RuntimeError):
    """Scrubbing cannot proceed; the message says why and what to do."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C, rolling back on the way out."""
