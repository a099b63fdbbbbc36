"""The subcommands behind ``binance-guard``, one module each, like pre-commit's.

Imported only once the entry point has ruled out the hook's clean path; each command's
module is imported only when that command runs.
"""

from __future__ import annotations

import importlib
import sys

from binance_guard.commands import parser
from binance_guard.commands.common import EXIT_CLEAN, EXIT_ERROR
from binance_guard.errors import GuardError

MODULES = {
    "scan": "scan",
    "verify": "scan",
    "hook": "hook",
    "pre-push": "hook",
    "history": "history",
    "scrub": "scrub",
    "audit": "audit",
    "ci": "ci",
}


def run(args: list[str]) -> int:
    options = parser.build().parse_args(args)
    try:
        if options.command == "plugin-path":
            from binance_guard.baseline import plugin_path

            print(plugin_path())
            return EXIT_CLEAN
        module = importlib.import_module(f"binance_guard.commands.{MODULES[options.command]}")
        handler = module.pre_push if options.command == "pre-push" else module.run
        code: int = handler(options)
        return code
    except (GuardError, OSError) as exc:
        print(f"binance-guard: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
