"""What the page's server refuses at the door: URLs named as files, files it did not receive, uploads over quota.

Gradio fetches on a caller's behalf in two places, before any handler of ours runs: a file value whose ``path`` is
an ``http(s)://`` URL is downloaded while the event's inputs are prepared (``processing_utils.
async_move_files_to_cache`` → ``Block.async_move_resource_to_block_cache`` → ``async_ssrf_protected_download``;
that works for every endpoint, ``/ask``'s history included), and ``/gradio_api/file=<url>`` streams a URL
(``routes.py``). Both only refuse non-public addresses, after resolving the host (and, for a private one, asking
``dns.google``). Gradio has no switch for either, so this ASGI middleware, installed through ``launch(app_kwargs=
{"middleware": ...})`` (FastAPI's own option), answers such requests itself: no name is resolved, no connection
made. It also keeps the total size of uploads waiting in Gradio's upload folder under a quota.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from rag.index.files import printable

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

# A JSON request body larger than this is refused unread: questions are ≤ 2000 characters, files travel by upload.
MAX_JSON_BYTES = 8 * 2**20
# http://, https://, file://, ftp://… and the scheme-relative //host form.
_URL_RE = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.-]*:|[\\/]{2})")
# Gradio's routes that serve a file or proxy a URL by the value in their path.
_FETCH_ROUTE_RE = re.compile(r"/(?:file[=/]|proxy=)(?P<target>.*)$")


def looks_like_url(value: str) -> bool:
    """Whether a value given as a file path names something on another machine (or a ``file:`` URL)."""
    return bool(_URL_RE.match(value))


def file_problem(data: Any, upload_dir: Path) -> str:
    """Why a request body's file values cannot be accepted ("" when they can): each must be a path inside the
    upload folder, never a URL."""
    for path in _file_paths(data):
        if looks_like_url(path):
            return f"refused {printable(path)!r}: this server does not fetch URLs; upload the file instead"
        resolved = Path(os.path.abspath(path))
        if upload_dir != resolved and upload_dir not in resolved.parents:
            return f"refused {printable(path)!r}: only files uploaded to this page are accepted"
    return ""


def _file_paths(data: Any) -> Iterator[str]:
    """The ``path`` of every file value (a dict with a ``path`` and Gradio's file ``meta``) in a JSON body, at any
    depth. Its ``url`` is not read: the page sends this server's own URL there, and Gradio goes by ``path``."""
    if isinstance(data, dict):
        meta = data.get("meta")
        if isinstance(meta, dict) and meta.get("_type") == "gradio.FileData" and isinstance(data.get("path"), str):
            yield data["path"]
        for value in data.values():
            yield from _file_paths(value)
    elif isinstance(data, list):
        for value in data:
            yield from _file_paths(value)


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder`` (0 when it does not exist)."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


class RefuseFetches:
    """ASGI middleware for the page's app: see the module docstring.

    Args:
        app: the ASGI app it wraps (FastAPI passes it).
        upload_dir: Gradio's upload folder; file values must point inside it.
        quota_bytes: most bytes the upload folder may hold; an upload that would go over is refused (413).
    """

    def __init__(self, app: Callable, upload_dir: str | Path, quota_bytes: int) -> None:
        self.app = app
        self.upload_dir = Path(os.path.abspath(upload_dir))
        self.quota_bytes = quota_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        fetch = _FETCH_ROUTE_RE.search(path)
        if fetch and (looks_like_url(fetch.group("target")) or "/proxy=" in path):
            await _refuse(send, 403, "this server does not fetch URLs")
            return
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if path.rstrip("/").endswith("/upload") and "/run/" not in path and "/call/" not in path:
            await self._upload(scope, receive, send)
            return
        await self._json_call(scope, receive, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _content_length(scope)
        used = folder_bytes(self.upload_dir)
        if length is None or used + length > self.quota_bytes:
            mb = self.quota_bytes / 2**20
            reason = ("uploads must state their size" if length is None else
                      f"the upload quota ({mb:g} MB waiting to be ingested) is full; try again after the current "
                      "uploads are ingested")
            await _refuse(send, 413, reason)
            return
        await self.app(scope, receive, send)

    async def _json_call(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive, MAX_JSON_BYTES)
        if body is None:
            await _refuse(send, 413, f"request body over {MAX_JSON_BYTES // 2**20} MB")
            return
        problem = ""
        if b'"path"' in body:
            try:
                problem = file_problem(json.loads(body), self.upload_dir)
            except ValueError:
                problem = ""  # not JSON: Gradio answers that itself
        if problem:
            logger.warning("%s", problem)
            await _refuse(send, 400, problem)
            return
        await self.app(scope, replay_body(body, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app a body this middleware has already read, then goes on as ``receive``."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def send_json(send: Send, status: int, content: dict, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer a request with a small JSON body."""
    body = json.dumps(content, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Callable[[], Awaitable[dict]], limit: int) -> bytes | None:
    """The whole request body, or None when it runs over ``limit`` bytes (or the client went away first: b"")."""
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > limit:
            return None
    return body


async def _refuse(send: Send, status: int, reason: str) -> None:
    await send_json(send, status, {"error": reason, "detail": reason})
