"""Run the verifier as `python -m canvass_verify`, where the console script is not installed."""

import sys

from .cli import main

sys.exit(main())
