"""``python -m inspector`` (and the ``inspector`` script) run the command line.

The command line is imported inside :func:`run`: a Ctrl-C while it (and then the
command's own modules) are imported must end quietly, not in a traceback.
"""

import sys


def run() -> int:
    try:
        from inspector.cli.main import main

        return main()
    except KeyboardInterrupt:
        print("inspector: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(run())
