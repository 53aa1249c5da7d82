"""The phone page's files: an allow-list fixed at start, served from memory.

Only regular files directly inside the page's folder, with a known type and a
plain name, are ever served; a symlink or a name with a path in it is a 404.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from aiohttp import web

__all__ = ["Files", "allow_list"]

STATIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")
OVERLAY_STEM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}


def allow_list(folder: Path) -> frozenset[str]:
    """The phone page's files that may be served, fixed when the server is made."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return frozenset()
    return frozenset(
        p.name
        for p in entries
        if STATIC_NAME.match(p.name)
        and p.suffix.lower() in TYPES
        and p.is_file()
        and not p.is_symlink()
    )


class Files:
    """The phone page's files, kept in memory once read (one ``lstat`` a request).

    A flood of GETs then costs no reads; a file changed on disk is read again.
    Small files only, and a bounded number of them.
    """

    MAX_FILE = 1024 * 1024
    MAX_FILES = 512

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[int, int, bytes]] = {}

    def response(self, folder: Path, name: str) -> web.StreamResponse:
        """A regular file directly inside ``folder`` with a known type, or 404."""
        suffix = Path(name).suffix.lower()
        ctype = TYPES.get(suffix)
        path = folder / name
        if ctype is None or path.parent != folder:
            raise web.HTTPNotFound()
        try:
            st = os.lstat(path)  # a symlink is not a regular file here
        except OSError:
            raise web.HTTPNotFound() from None
        if not stat.S_ISREG(st.st_mode):
            raise web.HTTPNotFound()
        cached = self._cache.get(path)
        if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
            body = cached[2]
        else:
            try:
                body = path.read_bytes()
            except OSError:
                raise web.HTTPNotFound() from None
            if len(body) <= self.MAX_FILE:
                if len(self._cache) >= self.MAX_FILES:
                    self._cache.clear()
                self._cache[path] = (st.st_mtime_ns, st.st_size, body)
        charset = "utf-8" if ctype.startswith("text/") or suffix in (".svg", ".json") else None
        return web.Response(body=body, content_type=ctype, charset=charset)
