"""Team-server bench: how many self-inspections one ``inspector server`` process holds.

`python bench/team.py [--max 24] [--timeout 600] [--per-worker 2] [--only N ...]
[--profile DIR] [--replayed-video] [--split-cores]`. The machinery of ``bench/load.py``
(:mod:`bench.fleet`), aimed at the team server: for N = 8, 10, 12, 16, 20, 24 (up to
``--max``; it stops after the first N that fails):

1. a fresh data folder with N inspections on the ``standard`` checklist and one join
   token each (as ``inspector invite`` does), on **SQLite** in that folder: the team
   server's own code path (sessions opened from the database, tokens reloaded every
   second) without starting PostgreSQL and an S3 server for every round;
2. ``inspector --data-dir D server --port 0 --json`` (loopback): the ``listening``
   line on standard output, every other event from its JSON log on standard error;
3. N simulated phones, each filming 640x480 at 15 fps (VP8) and sending 1600x1200
   JPEG stills, in spawned worker processes, joining 1 s apart; a phone honours the
   server's ``video`` message as the page does. A phone leaves when its inspection is
   ``completed``.

Per N: completion, loss (file, SHA-256, row, required shots), still round trip, the
server's CPU, and the link's health: links the server declared dead for want of a
heartbeat, ``reconnecting`` events, stills lost with their link, and the CPU seconds
per completed session (the server's and the phones': steadier than a percentage on a
shared machine). Pass: every session complete, nothing lost, no link declared dead (the
still round trip is reported, not held to a goal: on a machine shared with the N phones
it measures the machine). The answer is the largest N that passes (goal >= 20 on a
2-core machine). ``--profile DIR``: the server runs under
``bench/profiled.py`` (cProfile on every thread), one ``nN.pstats`` per round.

The phones run on the same cores as the server (a real phone encodes on its own
hardware): every figure also pays for N VP8 encoders, unless ``--replayed-video`` (each
view encoded once per worker and replayed: the phones then cost packetising, SRTP and
SCTP). ``--split-cores`` pins the server to one core and the phones to the other: what
one core of the server holds, whatever the phones cost.
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
    ServerFactory,
    add_ladder_options,
    run_ladder,
    run_round,
    server_cpus,
)

N_GOAL = 20
LADDER = (8, 10, 12, 16, 20, 24, 28, 32)


def team_server(profile: Path | None, n: int, cpus: set[int] | None = None) -> ServerFactory:
    def start(data_dir: Path, log_path: Path) -> Server:
        command = ["server", "--host", "127.0.0.1", "--port", "0", "--json"]
        wrapper = None
        if profile is not None:
            profile.mkdir(parents=True, exist_ok=True)
            wrapper = [str(Path(__file__).with_name("profiled.py")), str(profile / f"n{n}.pstats")]
        return Server(data_dir, log_path, command, log_events=True, wrapper=wrapper, cpus=cpus)

    return start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_ladder_options(parser, default_max=24)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the server here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ladder = args.only or [n for n in LADDER if n <= args.max]
    print(
        f"team bench: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; one "
        f"`inspector server` on SQLite; phones {WIDTH}x{HEIGHT} {FPS} fps (until asked for "
        f"less), stills {STILL_SIZE[0]}x{STILL_SIZE[1]}, checklist {CHECKLIST}, "
        f"{args.per_worker} phones per worker process, joins {args.stagger:g} s apart; "
        f"video {'replayed' if args.replayed_video else 'encoded by each phone'}; "
        f"server on CPUs {sorted(server_cpus(args) or os.sched_getaffinity(0))}; N = {ladder}",
        flush=True,
    )
    run_ladder(
        ladder,
        args,
        lambda n: run_round(
            n,
            args,
            args.keep,
            team_server(args.profile, n, server_cpus(args)),
            prefix="team-bench",
            require_round_trip=False,
            require_live_links=True,
        ),
        goal=N_GOAL,
        passing="every session complete, nothing lost, no link declared dead",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
