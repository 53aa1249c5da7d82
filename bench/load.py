"""Load bench: one ``inspector serve --autopilot`` process and N simulated phones at once.

`python bench/load.py [--max 12] [--timeout 600] [--per-worker 2]`. For N = 1, 2,
4, 6, 8, 10, 12 ... (up to ``--max``; it stops after the first N that fails):

1. a fresh temporary data directory; N inspections on the ``standard``
   checklist and one join token each are created in it up front (with the
   store and :class:`~inspector.tokens.Invitations`, as ``inspector invite``
   does), before the server starts; the server reads the tokens from the same
   SQLite file;
2. the real server in its own process: ``inspector --data-dir D serve --port 0
   --json --autopilot`` (loopback); its JSON event lines are read by a thread
   here and timestamped on arrival (``time.monotonic``);
3. N simulated phones (640x480, 15 fps, VP8; stills 1600x1200 JPEG, about 2
   megapixels, the smallest size the quality check accepts is 1280x720) in
   worker processes (``--per-worker`` phones per process, spawned), so the
   phones are not held back by one interpreter's GIL. Phone i joins i x
   ``--stagger`` seconds after the first. When the server reports an
   inspection ``completed``, its phone leaves (as a seller would).

Per N it reports: whether every session completed, whether anything was lost
(every ``capture`` event's file exists and its SHA-256 matches, the row is in
the database, and no required shot of the checklist lacks a usable photo),
captures that failed or fell back to a video frame, the still round trip
(``capture_requested`` -> ``capture`` event) p50/p95/max, session durations,
and the server process's CPU (% of one core, and % of the time its threads were
runnable but waiting for a CPU, from ``/proc/<pid>/task/*/schedstat``).

Pass: all completed, nothing lost, p95 round trip <= 3 s. The answer is the
largest N that passes (goal >= 6). Bounded: every N has ``--timeout`` seconds;
always exits 0 (a bench). Note: the phones and the server share this machine's
cores; a real phone encodes on its own hardware.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.fleet import (
    CHECKLIST,
    FPS,
    HEIGHT,
    STILL_SIZE,
    WIDTH,
    Server,
    add_ladder_options,
    run_ladder,
    run_round,
)

N_GOAL = 6


def serve(data_dir: Path, log_path: Path) -> Server:
    """``inspector serve --json --autopilot`` on the data folder (loopback, any port)."""
    command = ["serve", "--host", "127.0.0.1", "--port", "0", "--json", "--autopilot"]
    # The log as JSON lines too: the engine's "link lost (...)" lines count dead links.
    return Server(data_dir, log_path, [*command, "--log-json"], log_events=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_ladder_options(parser, default_max=12)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ladder = args.only or [n for n in (1, 2, 4, 6, 8, 10, 12, 16, 20, 24) if n <= args.max]
    print(
        f"load bench: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; phones "
        f"{WIDTH}x{HEIGHT} {FPS} fps, stills {STILL_SIZE[0]}x{STILL_SIZE[1]}, checklist "
        f"{CHECKLIST}, {args.per_worker} phones per worker process, joins {args.stagger:g} s "
        f"apart; N = {ladder}",
        flush=True,
    )
    run_ladder(ladder, args, lambda n: run_round(n, args, args.keep, serve), goal=N_GOAL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
