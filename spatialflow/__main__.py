"""``python -m spatialflow`` runs the command line (see :mod:`spatialflow.cli`)."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
