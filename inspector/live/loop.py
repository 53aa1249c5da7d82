"""An asyncio loop on a thread of its own, driven from any thread.

The engine runs the phone server and the peers on such a loop while the
console's Qt thread, the CLI and tests submit work to it. What it guarantees:

- ``start()`` / ``stop(timeout)``: ``stop`` never hangs; the owner's shutdown
  coroutine gets part of the time, then the loop is stopped, the thread joined
  until the deadline and the executor let go.
- ``call(coro)`` from any thread gives a ``concurrent.futures.Future``; when
  the loop is not running it fails at once with :class:`LoopNotRunning`.
- ``run(fn, *args)`` (on the loop) runs blocking work in the loop's executor.
- ``spawn(coro, name)`` (on the loop) keeps the task; an exception escaping it,
  or any callback, goes to ``on_error`` and the loop goes on.
- If the loop ends without ``stop()`` (a ``SystemExit`` in a callback,
  someone stopping the loop), ``on_death`` is told why from the thread itself,
  the shutdown coroutine runs with a deadline and ``running`` becomes False:
  a dead loop never looks alive.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["LoopNotRunning", "LoopThread"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Time the shutdown coroutine gets after the loop died on its own.
_DEATH_CLEANUP = 6.0
#: Time tasks still pending when the loop ends get to finish their cancellation.
_PENDING_GRACE = 2.0


def _closed_link_send(exc: BaseException | None) -> bool:
    """A ConnectionError raised inside aiortc (or its ICE, aioice), nobody awaiting it:
    a send after the link closed (seen when a phone's link dies under load: SCTP's
    ``_data_channel_flush`` → "Cannot send encrypted data, not connected", its
    ``_transmit`` → aioice's "Cannot send data, not connected")."""
    if not isinstance(exc, ConnectionError):
        return False
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and any(
        f"{os.sep}{package}{os.sep}" in frames[-1].filename for package in _MEDIA_PACKAGES
    )


_MEDIA_PACKAGES = ("aiortc", "aioice")


class LoopNotRunning(RuntimeError):
    """Work submitted to a loop thread that is not running (never started, stopped, dead)."""


class LoopThread:
    """See the module docstring. ``name`` names the thread and starts every log message."""

    def __init__(
        self,
        name: str,
        *,
        on_error: Callable[[str], None],
        on_death: Callable[[str], None],
        shutdown: Callable[[], Coroutine[Any, Any, None]],
        workers: int = 8,
    ) -> None:
        self.name = name
        self._on_error = on_error
        self._on_death = on_death
        self._shutdown = shutdown
        self._workers = workers
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        #: Why the loop ended on its own (None while running or after stop()).
        self.died: str | None = None

    # -- lifecycle (any thread) -------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop while started (for tests and for ``run_coroutine_threadsafe``)."""
        return self._loop

    @property
    def alive(self) -> bool:
        """Whether the thread still runs (a dying loop's thread may outlive ``running``)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._loop is not None and self.alive and self.died is None

    def start(self) -> None:
        """Start the thread with a new loop; returns at once (the loop runs meanwhile)."""
        loop = asyncio.new_event_loop()
        executor = concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix=f"{self.name}-worker"
        )
        loop.set_default_executor(executor)
        loop.set_exception_handler(self._on_loop_exception)
        self._loop, self._executor = loop, executor
        self._stopping = False
        self.died = None
        thread = threading.Thread(target=self._main, args=(loop,), name=self.name, daemon=True)
        self._thread = thread
        thread.start()

    def stop(self, timeout: float) -> bool:
        """Shut down, stop the loop, join the thread; within ~timeout. False if not started."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return False
        self._stopping = True
        deadline = time.monotonic() + timeout
        if thread.is_alive() and not loop.is_closed():
            future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
            try:
                future.result(max(0.1, timeout * 0.7))
            except BaseException as exc:  # a step hung or failed: stop regardless
                log.warning("%s stop was not clean: %r", self.name, exc)
                future.cancel()
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        thread.join(max(0.1, deadline - time.monotonic()))
        if thread.is_alive():
            log.warning("the %s thread did not end in time; left as a daemon", self.name)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._loop = self._thread = self._executor = None
        return True

    # -- work -------------------------------------------------------------------------

    def call(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Any thread: run ``coro`` on the loop; fails with LoopNotRunning if it is not."""
        loop = self._loop
        if loop is None or not self.running:
            coro.close()
            failed: concurrent.futures.Future[_T] = concurrent.futures.Future()
            failed.set_exception(LoopNotRunning(f"the {self.name} is not running"))
            return failed
        return asyncio.run_coroutine_threadsafe(coro, loop)

    async def run(self, fn: Callable[..., _T], *args: Any) -> _T:
        """On the loop: ``fn(*args)`` in the executor, so the loop never blocks."""
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """On the loop: a task kept until done; its exception is reported, never lost."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                t.get_loop().call_exception_handler(
                    {"message": f"task {t.get_name()} failed", "exception": t.exception()}
                )

        task.add_done_callback(done)
        return task

    async def cancel_spawned(self, timeout: float) -> None:
        """On the loop: cancel the spawned tasks still running and wait for them a while."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    # -- the thread -------------------------------------------------------------------

    def _on_loop_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if _closed_link_send(exc):
            # aiortc's own data channel flush, racing its link's closing (a phone gone):
            # the link's loss is reported where it is found, not as an engine error.
            log.info("%s: a send on a closed link was dropped (%s)", self.name, exc)
            return
        message = context.get("message", f"error in the {self.name}")
        if exc is not None:
            message = f"{message}: {type(exc).__name__}: {exc}"
        log.error("%s: %s", self.name, message, exc_info=exc)
        self._on_error(str(message))

    def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        ended = "its loop stopped"
        try:
            try:
                loop.run_forever()
            except BaseException as exc:  # SystemExit, KeyboardInterrupt from a callback
                ended = f"{type(exc).__name__}: {exc}"
                log.critical("the %s loop died", self.name, exc_info=True)
            if not self._stopping:
                # Nobody asked for this: say so before the thread is gone, never silently.
                self.died = ended
                self._on_death(ended)
                try:  # free what the owner holds: a dead loop must not look alive
                    loop.run_until_complete(asyncio.wait_for(self._shutdown(), _DEATH_CLEANUP))
                except BaseException:
                    log.exception("cleaning up after the %s loop died", self.name)
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=_PENDING_GRACE))
            loop.run_until_complete(asyncio.wait_for(loop.shutdown_asyncgens(), _PENDING_GRACE))
        except Exception:
            log.exception("%s loop shutdown", self.name)
        finally:
            loop.close()
