"""``python -m growthcast``: the same as the ``growthcast`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
