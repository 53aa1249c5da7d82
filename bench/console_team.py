"""Remote console bench: how soon a colleague's change shows on a connected console's
home, and how soon the console is live again after the team server comes back.

Runs a real ``inspector server`` (on a SQLite data folder), the real console window
(offscreen) connected to it through **Connect to a team server…**, and a second
client (``inspector.team.client.Client``, another user) that changes inspections:

- change → row: from just before the colleague's request (create, or invite) to
  the console's home showing the row (or its new status); ``--changes`` of them,
  median and max;
- reconnect: the server process is killed and started again on the same port;
  from the new process printing ``listening`` to the console's state being
  ``live`` again with the list read (its events socket retries at 0.25, 0.5, 1, 2,
  4 then every 5 s, so at most 5 s after the server is back), ``--drops`` times.

``--screenshot FILE`` also saves the team home (``widget.grab()``).
``QT_QPA_PLATFORM=offscreen python bench/console_team.py``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

USERS = {"olga": ("operator", "operator-pass-Qm4x"), "karim": ("operator", "operator-pass-Kx7p")}
CARS = [
    ("Peugeot", "308", 2019, "AB-123-CD", "Élodie Martin", "olga"),
    ("Renault", "Clio", 2021, "CL-456-IO", "Marc Dubois", "olga"),
    ("Citroën", "C3", 2018, "CE-789-TR", "Sophie Laurent", "karim"),
    ("Volkswagen", "Golf", 2020, "VW-321-GF", "Lucas Bernard", "karim"),
    ("Toyota", "Yaris", 2022, "TY-654-YR", "Camille Petit", ""),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--drops", type=int, default=3)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings

    from ui import settings

    app = settings.application()
    tmp = Path(tempfile.mkdtemp(prefix="bench-console-team-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))
    os.environ["INSPECTOR_CONFIG_DIR"] = str(tmp / "config")

    from inspector.storage.store import Store
    from inspector.team.client import Client
    from inspector.usecases import accounts
    from tests.inspector.team.team_fixtures import TeamProcess
    from ui.main_window import MainWindow

    def wait(condition: Callable[[], bool], timeout: float) -> float | None:
        """Seconds until ``condition()``, the Qt loop running; None at the timeout."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            app.processEvents()
            if condition():
                return time.perf_counter() - start
            time.sleep(0.001)
        return None

    server_dir = tmp / "server"
    store = Store(server_dir)
    for name, (role, password) in USERS.items():
        accounts.add_user(store, name, role, password, actor="bench")
    store.close()
    server = TeamProcess(server_dir)
    port = server.port
    colleague = Client(server.url)
    colleague.login("karim", USERS["karim"][1])
    for make, model, year, plate, seller, operator in CARS:
        found = colleague.create(
            {
                "checklist": "standard",
                "operator": operator,
                "vehicle": {"make": make, "model": model, "year": year, "plate": plate},
                "seller": {"name": seller, "language": "fr"},
            }
        )
        if plate in ("CL-456-IO", "VW-321-GF"):
            colleague.invite(found["id"])

    local = Store(tmp / "desk")
    window = MainWindow(local)
    window.resize(1280, 720)
    window.show()
    dialog = window.connect_to_team()
    dialog.server.setText(server.url)
    dialog.user.setText("olga")
    dialog.password.setText(USERS["olga"][1])
    dialog.connect_button.click()
    assert wait(lambda: window.team.state == "live", 30) is not None, window.team.state
    model = window.home.model
    assert wait(lambda: model.rowCount() == len(CARS), 10) is not None

    def status_of(inspection_id: str) -> str | None:
        row = model.row_of(inspection_id)
        return None if row is None else model.row_at(row).listed.status.value

    if args.screenshot is not None:
        wait(lambda: False, 0.5)  # painted
        args.screenshot.parent.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(args.screenshot))
        print(f"screenshot: {args.screenshot}")

    load = os.getloadavg()
    latencies = []
    for n in range(args.changes):
        time.sleep(0.3)  # keep under the server's per-address request rate
        start = time.perf_counter()
        new = colleague.create(
            {"checklist": "quick", "vehicle": {"make": "Bench", "model": str(n)}}
        )["id"]
        shown = wait(lambda new=new: status_of(new) == "draft", 15)
        assert shown is not None, "the new row never showed"
        latencies.append(time.perf_counter() - start)
        time.sleep(0.3)
        start = time.perf_counter()
        colleague.invite(new)
        assert wait(lambda new=new: status_of(new) == "invited", 15) is not None
        latencies.append(time.perf_counter() - start)

    reconnects = []
    downtimes = []
    for _ in range(args.drops):
        server.close()
        down = time.perf_counter()
        assert wait(lambda: window.team.state == "reconnecting", 15) is not None
        # Started on a thread: the console's loop (and its retry timer) keeps running.
        started: list[tuple[float, TeamProcess]] = []

        def start(into: list[tuple[float, TeamProcess]] = started) -> None:
            process = TeamProcess(server_dir, "--port", str(port))
            into.append((time.perf_counter(), process))  # just after its "listening" line

        thread = threading.Thread(target=start)
        thread.start()
        assert wait(lambda into=started: bool(into), 120) is not None, "the server did not start"
        thread.join()
        listening, server = started[0]
        downtimes.append(listening - down)
        assert wait(lambda: window.team.state == "live", 30) is not None, "not live again"
        reconnects.append(time.perf_counter() - listening)

    window.close()
    server.close()
    local.close()
    print(
        f"console ⇄ team server bench: {os.cpu_count()} CPUs, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"colleague's change → row on the console ({len(latencies)} changes: "
        f"{args.changes} creates, {args.changes} invites): median "
        f"{statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"server back (listening) → console live again, list read ({len(reconnects)} drops "
        f"of {min(downtimes):.1f}-{max(downtimes):.1f} s): median "
        f"{statistics.median(reconnects) * 1000:.0f} ms, max {max(reconnects) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
