"""A remote console's desk in the operator's namespace: the Qt-free part of the console
connected to a team server (:class:`~inspector.team.desk.RemoteDesk`), in its own process
(``ip netns exec NS python -m tests.netlab.desk_driver --server URL --user NAME ...``).

It logs in as ``NAME`` (the password in ``NETLAB_DESK_PASSWORD``), creates an inspection
through the operator API, takes its call (the working copy fetched, the desk socket
attached: ``{"event": "desk_link", "state": "attached"}``), invites the phone (the
server's link) and then speaks the JSON lines of :mod:`tests.netlab.engine_driver`: the
same events and commands (``capture``, ``accept``, ``pair``, ``frames``, ``stop``). Its
ICE servers are the team's (``GET /api/v1/ice``: TURN credentials minted for
``desk-NAME``), as a console's are.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from inspector.live import events
from inspector.live.timings import STILL_TIMEOUT
from inspector.team.client import Client
from inspector.team.desk import RemoteDesk
from tests.netlab.engine_driver import Reporter, say, serve_commands

NEW = {
    "checklist": "quick",
    "vehicle": {"make": "Peugeot", "model": "308", "year": 2019, "plate": "AB-123-CD"},
    "seller": {"name": "Camille Martin", "phone": "+33612345678", "language": "en"},
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--still-timeout", type=float, default=STILL_TIMEOUT)
    args = parser.parse_args()
    if os.environ.get("NETLAB_DEBUG"):
        logging.basicConfig(
            level=logging.DEBUG,
            stream=sys.stderr,
            format="%(relativeCreated)d %(name)s %(message)s",
        )

    client = Client(args.server)
    token = client.login(args.user, os.environ["NETLAB_DESK_PASSWORD"])["token"]
    inspection_id = str(client.create({**NEW, "operator": args.user})["id"])
    reporter = Reporter()
    attached = threading.Event()

    def on_event(event: events.Event) -> None:
        reporter(event)
        if isinstance(event, events.DeskLinkChanged) and event.state == "attached":
            attached.set()

    desk = RemoteDesk(
        args.server, token, Path(args.data), on_event, still_timeout=args.still_timeout
    )
    desk.start()
    try:
        desk.take(inspection_id)
        if not attached.wait(30):
            say(event="command_error", error="the desk socket did not attach in 30 s")
            return 1
        invite = desk.engine.invite(inspection_id).result(30)
        say(event="invite", inspection_id=inspection_id, join_url=invite.join_url)
        serve_commands(desk.engine, inspection_id, reporter)
    finally:
        desk.close()
        say(event="stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
