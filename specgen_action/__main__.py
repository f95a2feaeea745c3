"""``python -m specgen_action`` runs the CLI."""

import sys

from .cli import main

sys.exit(main())
