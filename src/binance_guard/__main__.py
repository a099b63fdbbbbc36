import sys

from binance_guard.cli import main

sys.exit(main())
