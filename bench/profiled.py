"""Run ``python -m MODULE ...`` with cProfile on every thread; the merged stats at exit.

`python bench/profiled.py OUT.pstats -m inspector ...` (what ``bench/team.py --profile``
uses). cProfile profiles one thread only, so each thread started from here on gets a
profiler of its own (``threading.Thread.run`` wrapped); at exit, on SIGTERM as well, they
are merged into OUT.pstats (``python -m pstats OUT.pstats``). Threads started by C code
(none here: aiortc's decoders are ``threading.Thread``) are not seen. The profilers add
their own cost: read shares, not absolute times.
"""

from __future__ import annotations

import atexit
import cProfile
import pstats
import runpy
import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _profiled_run(original: Any) -> Any:
    def run(self: threading.Thread) -> None:
        profile = cProfile.Profile()
        with _lock:
            _profiles.append(profile)
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()

    return run


def _dump(out: Path) -> None:
    with _lock:
        profiles = list(_profiles)
    stats: pstats.Stats | None = None
    for profile in profiles:
        profile.disable()  # a thread still running (daemons): what it did so far
        try:
            stats = pstats.Stats(profile) if stats is None else (stats.add(profile) or stats)
        except TypeError:  # a profile that never collected anything
            continue
    if stats is not None:
        stats.dump_stats(str(out))


def main() -> None:
    if len(sys.argv) < 4 or sys.argv[2] != "-m":
        sys.exit("usage: profiled.py OUT.pstats -m MODULE [ARGS...]")
    out = Path(sys.argv[1])
    module = sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    threading.Thread.run = _profiled_run(threading.Thread.run)  # type: ignore[method-assign]
    main_profile = cProfile.Profile()
    _profiles.append(main_profile)
    atexit.register(_dump, out)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # let atexit run (the CLI re-hooks)
    main_profile.enable()
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
