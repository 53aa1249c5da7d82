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
        return _interrupted()
    except Exception as exc:
        # Python wraps a Ctrl-C that lands inside some import machinery (a class's
        # ``__set_name__``, seen in pydantic's import) in a RuntimeError.
        if _caused_by_ctrl_c(exc):
            return _interrupted()
        raise


def _interrupted() -> int:
    print("inspector: interrupted", file=sys.stderr)
    return 130


def _caused_by_ctrl_c(exc: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


if __name__ == "__main__":
    sys.exit(run())
