"""``python -m ui`` opens the console."""

import sys

from ui.app import main

sys.exit(main())
