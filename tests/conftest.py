"""Shared fixtures: a fresh data directory and store per test, sample input, and the
database backends a storage test runs on (``database_url``: the folder's SQLite, or a
new database on the session's real PostgreSQL server)."""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from inspector.storage.store import Store
from tests.inspector.postgres_fixtures import pg_url, postgres
from tests.s3_fixtures import photo_store, s3_env, s3_server, s3_url

__all__ = ["pg_url", "photo_store", "postgres", "s3_env", "s3_server", "s3_url"]  # fixtures

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory, also set as INSPECTOR_DATA_DIR."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("INSPECTOR_DATA_DIR", str(path))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """Where a storage test keeps its records: None (the data folder's SQLite file) or
    the URL of a new, empty PostgreSQL database (dropped after the test)."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    s = Store(data_dir)
    yield s
    s.close()


@pytest.fixture
def vehicle_input() -> dict[str, Any]:
    return {
        "make": "Peugeot",
        "model": "308",
        "year": 2019,
        "plate": "AB-123-CD",
        "vin": "VF3LBYHZPKS123456",
        "mileage": 84500,
        "fuel": "diesel",
        "colour": "gris",
    }


@pytest.fixture
def seller_input() -> dict[str, Any]:
    return {
        "name": "Élodie Martin",
        "phone": "+33 6 12 34 56 78",
        "email": "elodie@example.fr",
        "language": "fr",
    }


#: Tests that must share one worker under ``pytest -n`` (pytest-xdist): the network lab's
#: namespaces, addresses and coturn are the machine's own, and the browser tests share
#: one Chromium (and would starve each other's video). Every other module is a unit of
#: its own: its tests run in order on one worker, with its module-scoped servers started
#: once.
SHARED_WORKER = {"netlab": "netlab", "e2e": "browser"}
#: Units that take minutes: scheduled before all others (see UnitScheduling).
LONG_UNITS = ("browser", "netlab")


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its module, or its folder's shared worker."""
    module = nodeid.split("::", 1)[0]
    parts = module.split("/")
    if len(parts) > 2 and parts[0] == "tests" and parts[1] in SHARED_WORKER:
        return SHARED_WORKER[parts[1]]
    return module


class _UnitScheduler:
    """xdist's scope scheduling with our units. (Its ``xdist_group`` marks do not work
    with pytest 9: they rename the node id through an attribute pytest no longer reads,
    so every test was dealt out alone and a module's servers started on each worker.)"""

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        from xdist.scheduler import LoadScopeScheduling

        class UnitScheduling(LoadScopeScheduling):
            _long_first = False

            def _split_scope(self, nodeid: str) -> str:
                return work_unit(nodeid)

            def _assign_work_unit(self, node: Any) -> None:
                # xdist queues the units largest first *by test count*: the network lab
                # and the browser tests, few tests but minutes each, came last and ran
                # alone at the end (a CI run of 27 min). They go first, one worker each,
                # while the third takes the modules.
                if not self._long_first:
                    self._long_first = True
                    for scope in reversed([s for s in self.workqueue if s in LONG_UNITS]):
                        self.workqueue.move_to_end(scope, last=False)
                super()._assign_work_unit(node)

            # pytest-xdist 3.8.0 hangs for ever after a worker crash under scope
            # scheduling (its issues 1323, 1327, 1378: the dead worker's finished units
            # go back to the queue empty, and a new worker given one test waits for a
            # second). The two methods below are its fixes: the test the worker died on
            # is reported failed and not run again, the rest of its unit is.

            def remove_node(self, node: Any) -> str | None:
                workload = self.assigned_work.pop(node)
                pending = [n for unit in workload.values() for n, done in unit.items() if not done]
                if not pending:
                    return None
                crashed = pending[0]
                for scope, unit in workload.items():
                    if crashed in unit:
                        unit[crashed] = True
                    if not all(unit.values()):
                        self.workqueue[scope] = unit
                for other in self.assigned_work:
                    self._reschedule(other)
                return crashed

            def _reschedule(self, node: Any) -> None:
                while not node.shutting_down:
                    if not self.workqueue:
                        node.shutdown()
                        return
                    if self._pending_of(self.assigned_work[node]) > 2:
                        return
                    self._assign_work_unit(node)

        return UnitScheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    # Registered only with xdist there (``-p no:xdist`` would not know the hook).
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_UnitScheduler(), "unit-scheduler")


EXIT_GRACE = 60.0  # seconds the interpreter gets to exit after the summary


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Name the threads that would keep the interpreter alive after the run: a peer, a
    server or an executor a test forgot to stop (CI once hung for an hour on one)."""
    session.config.stash[_EXIT_STATUS] = int(exitstatus)
    left = [
        t.name
        for t in threading.enumerate()
        if t is not threading.main_thread() and not t.daemon and t.is_alive()
    ]
    if left:
        print(f"\nthreads still running after the tests: {', '.join(sorted(left))}")


_EXIT_STATUS = pytest.StashKey[int]()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Make sure the process ends: the results are printed, so a thread or a child that
    blocks the interpreter's exit must not turn a finished run into a CI timeout. After
    EXIT_GRACE seconds every stack is printed (to find the culprit) and the process
    exits with the run's own status.

    The grace counts from the interpreter's shutdown, not from here: an xdist worker done
    early lives on until the last worker is done, and was killed, its stacks printed,
    while nothing was wrong. ``threading._register_atexit`` runs a function as shutdown
    begins, before it joins the executors' and the other threads (its functions run
    last registered first: this one before ``concurrent.futures``' join)."""
    status = config.stash.get(_EXIT_STATUS, 1)

    def watchdog() -> None:
        time.sleep(EXIT_GRACE)
        print("\nthe test process did not exit; its threads:", file=sys.stderr, flush=True)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        os._exit(status)

    def shutting_down() -> None:
        threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()
        # A hang in the interpreter's own finalisation (after daemon threads are frozen):
        faulthandler.dump_traceback_later(2 * EXIT_GRACE, exit=True)

    threading._register_atexit(shutting_down)  # type: ignore[attr-defined]
    if not hasattr(config, "workerinput"):
        # The controller ends last: from here, a hang before shutdown is caught too.
        faulthandler.dump_traceback_later(3 * EXIT_GRACE, exit=True)
