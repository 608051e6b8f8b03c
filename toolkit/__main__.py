"""``python -m toolkit`` runs the crosscheck command line."""

import sys

from toolkit.cli import main

sys.exit(main())
