"""A TCP relay in front of the S3 server that paces what clients send, and tells when a
photo upload is part-way through: a kill can then land in the middle of a real PUT.

Plain sockets and threads: the bytes reach the real server unchanged, only slower.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time

__all__ = ["PacedRelay"]

_PHOTO_PUT = re.compile(rb"PUT /[^ ]*/photos/[0-9a-f]{2}/([0-9a-f]{64})\.jpg")


class PacedRelay:
    """Relays 127.0.0.1:``port`` to ``target``, client bytes at ``bytes_per_second``.

    Once :meth:`arm` is called, ``uploading`` is set when ``after_bytes`` of a photo
    PUT begun since have been relayed; ``uploading_sha256`` is that photo's name.
    """

    def __init__(self, target: tuple[str, int], *, bytes_per_second: int, after_bytes: int) -> None:
        self.target = target
        self.bytes_per_second = bytes_per_second
        self.after_bytes = after_bytes
        self.uploading = threading.Event()
        self.uploading_sha256: str | None = None
        self._armed = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="relay-accept").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, outgoing: bool) -> None:
        sent_of_put: int | None = None  # bytes relayed since a photo PUT began on this socket
        try:
            while data := src.recv(16384):
                if outgoing:
                    match = _PHOTO_PUT.search(data)
                    if match is not None and self._armed and not self.uploading.is_set():
                        sent_of_put = 0
                        self.uploading_sha256 = match.group(1).decode()
                    if sent_of_put is not None:
                        sent_of_put += len(data)
                        if sent_of_put >= self.after_bytes:
                            self.uploading.set()
                    time.sleep(len(data) / self.bytes_per_second)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def arm(self) -> None:
        """Watch the photo uploads that begin from now on."""
        self._armed = True

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):  # wakes the accept() (a close alone would not)
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                # shutdown() first: a close() alone leaves a thread's blocked recv() holding
                # the connection open, and a client on it waiting for ever.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        """The server gone from the network: connections dropped, new ones refused."""
        self.close()

    def resume(self) -> None:
        """The server back, at the same address."""
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._sockets = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="relay-accept").start()
