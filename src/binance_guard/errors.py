"""One base for every error a person can act on: the CLI prints its message and exits 2."""


class GuardError(Exception):
    """Something about the input or the environment is wrong; the message says what to do."""


class UsageError(GuardError):
    """A wrong command line or environment variable."""
