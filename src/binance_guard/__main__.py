import sys

from binance_guard.cli import main

# Guarded: history's worker processes are spawned and re-import the main module.
if __name__ == "__main__":
    sys.exit(main())
