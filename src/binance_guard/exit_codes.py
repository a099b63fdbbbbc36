"""What ``binance-guard`` exits with, for every command: scripts and CI depend on these."""

EXIT_CLEAN = 0  # looked at everything, found nothing that fails the run
EXIT_FINDINGS = 1  # found credentials (or, for audit, a key that needs action)
EXIT_ERROR = 2  # usage or runtime error, or the run could not look at everything
