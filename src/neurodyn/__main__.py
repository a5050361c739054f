"""``python -m neurodyn``: the ``neurodyn`` command."""

import sys

from .cli import main

sys.exit(main())
