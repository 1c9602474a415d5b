"""``python -m recsys`` runs the command-line interface."""

import sys

from recsys.cli import main

if __name__ == "__main__":
    sys.exit(main())
