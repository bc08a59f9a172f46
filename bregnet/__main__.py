"""``python -m bregnet`` runs the ``bregnet`` command.

The guard matters: worker processes started by *spawn* (a process pool, a Dask ``LocalCluster`` of
``bregnet train --dask-workers N``) import this module again as ``__mp_main__``, and must not run the command.
"""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
