"""``python -m bregnet`` runs the ``bregnet`` command."""
import sys

from .cli import main

sys.exit(main())
