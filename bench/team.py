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

``--uploads N``: instead, the still upload of a remote console (issue 14): a PostgreSQL
(fsync on) and SeaweedFS's S3 gateway on this machine, one ``inspector server`` on them,
and N 12 MP JPEGs (about 4.7 MB, each a different photo) sent as the console sends them
(``Client.put_capture``: multipart record + photo, its SHA-256 checked by the server, the
answer once the object and the row are durable), p50/p95 after 3 warm-ups; the same
bytes sent as an original of no capture (received, hashed, refused: the transfer's
share); then the same N stored straight into a ``Store`` on the same database and
bucket (``add_capture``, as a desk's engine does), for comparison.
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


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return f"p50 {at(0.5):.0f} ms, p95 {at(0.95):.0f} ms, max {ordered[-1]:.0f} ms"


def bench_uploads(count: int) -> int:
    """A 12 MP still through the API vs straight into a Store (see the module)."""
    import contextlib
    import tempfile
    import time
    from datetime import UTC, datetime

    from bench.storage import capture_12mp
    from inspector.domain.models import CaptureSource, QualityReport, Verdict
    from inspector.storage.rows import new_id
    from inspector.storage.store import Store
    from inspector.team.client import Client, RemoteError
    from inspector.usecases import accounts
    from inspector.usecases.inspections import create_inspection
    from tests.inspector.postgres_fixtures import postgres_server
    from tests.inspector.team.team_fixtures import TeamProcess
    from tests.s3_server import BUCKET, seaweed_s3

    photo = capture_12mp()
    print(
        f"upload bench: {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; 12 MP JPEG {len(photo) / 1e6:.1f} MB; "
        f"{count} uploads after 3 warm-ups",
        flush=True,
    )
    warm = 3
    photos = [photo + b"bench" + n.to_bytes(4, "big") for n in range(2 * (count + warm))]
    record = {
        "shot_id": "front",
        "source": "still",
        "captured_at": datetime.now(UTC).isoformat(),
        "quality": {"verdict": "ok", "reasons": [], "metrics": {}},
    }
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as tmp:
        root = Path(tmp)
        with postgres_server(durable=True) as pg, seaweed_s3(root / "seaweedfs") as s3:
            env = dict(s3.env())
            os.environ.update(env)
            url = pg.url(pg.create_database())
            photo_store = f"s3://{BUCKET}/bench-uploads"
            with Store(root / "desk", database_url=url, photo_store=photo_store) as store:
                accounts.add_user(store, "bench", "operator", "bench-password-1234", actor="bench")
                server = TeamProcess(
                    root / "server", database_url=url, photo_store=photo_store, env=env
                )
                try:
                    client = Client(server.url)
                    client.login("bench", "bench-password-1234")
                    remote = str(
                        client.create({"checklist": "standard", "vehicle": {"make": "Bench"}})["id"]
                    )
                    through_api = []
                    for n in range(count + warm):
                        start = time.perf_counter()
                        client.put_capture(remote, new_id(), record, photos[n])
                        if n >= warm:
                            through_api.append((time.perf_counter() - start) * 1000)
                    load_api = os.getloadavg()
                    # The same bytes, received and hashed, then refused (no such capture):
                    # what the transfer costs, without the JPEG check and the store.
                    received = []
                    for n in range(count + warm):
                        start = time.perf_counter()
                        with contextlib.suppress(RemoteError):
                            client.put_original(remote, "nonexistent0", photos[n])
                        if n >= warm:
                            received.append((time.perf_counter() - start) * 1000)
                    # The server's own time for each (its request log's "ms").
                    served = [
                        float(e["ms"])
                        for e in server.log_events()
                        if e.get("event") == "request"
                        and e.get("method") == "PUT"
                        and e.get("route", "").endswith("/captures/{capture}")
                    ][warm:]
                finally:
                    server.close()
                local, _ = create_inspection(
                    store, checklist="standard", vehicle={"make": "Bench"}, seller={}
                )
                direct = []
                for n in range(count + warm):
                    data = photos[count + warm + n]
                    start = time.perf_counter()
                    store.add_capture(
                        local.id,
                        "front",
                        data,
                        width=4000,
                        height=3000,
                        source=CaptureSource.STILL,
                        quality=QualityReport(Verdict.OK),
                    )
                    if n >= warm:
                        direct.append((time.perf_counter() - start) * 1000)
                stored = len(store.captures(remote))
    print(f"through the API (PostgreSQL + S3): {_percentiles(through_api)}; {stored} stored")
    print(f"  of which in the server:          {_percentiles(served)}")
    print(f"straight into a Store (same):      {_percentiles(direct)}")
    print(f"sent, hashed, refused (no store):  {_percentiles(received)}")
    print(
        "load average after the API round: "
        f"{' '.join(f'{x:.2f}' for x in load_api)}; at the end: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_ladder_options(parser, default_max=24)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the server here")
    parser.add_argument(
        "--uploads",
        type=int,
        default=0,
        metavar="N",
        help="instead: N 12 MP still uploads through the API vs straight into a Store",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.uploads > 0:
        return bench_uploads(args.uploads)
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
