"""python -m convcore.bench: the same as python -m convcore bench."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
