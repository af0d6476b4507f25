"""Slowing down password guessing on the page's login form, per user name and per client address.

Gradio checks the password itself (``POST /login``, its ``auth=``) and neither counts failures nor sees who is
asking from where. ``ThrottleLogins`` is an ASGI middleware in front of that route: after a number of failed logins
for a user name (or from an address) each further attempt is refused unchecked (HTTP 429, with ``Retry-After``) for
a lockout that doubles with every failure, up to a ceiling. A successful login clears the user's and the address's
count; a count is also forgotten once it has been quiet for the longest lockout.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from rag.index.files import printable
from rag.settings import ServeSettings
from ui.guard import read_body, replay_body, send_json

logger = logging.getLogger(__name__)

MAX_FORM_BYTES = 64 * 1024


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class LoginThrottle:
    """Failed-login counts and lockouts for user names and addresses (thread-safe; the clock can be replaced).

    Args:
        user_attempts: failures allowed for one user name before lockouts start.
        address_attempts: failures allowed from one address (many users may share one) before lockouts start.
        lockout_s: the first lockout; each further failure doubles it.
        max_lockout_s: the longest lockout, and how long a quiet count is kept.
    """

    def __init__(self, user_attempts: int, address_attempts: int, lockout_s: float, max_lockout_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = {"user": user_attempts, "address": address_attempts}
        self.lockout_s, self.max_lockout_s = lockout_s, max_lockout_s
        self.clock = clock
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, serve: ServeSettings) -> LoginThrottle:
        return cls(serve.login_attempts_per_user, serve.login_attempts_per_address, serve.login_lockout_s,
                   serve.login_max_lockout_s)

    def wait_s(self, user: str, address: str) -> float:
        """Seconds until a login for ``user`` from ``address`` may be checked (0: now)."""
        now = self.clock()
        with self._lock:
            self._forget_quiet(now)
            waits = [r.locked_until - now for r in (self._records.get(k) for k in self._keys(user, address)) if r]
        return max([0.0, *waits])

    def failed(self, user: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(user, address):
                record = self._records.setdefault(key, _Record())
                record.failures += 1
                record.last_failure = now
                over = record.failures - self.limits[key[0]]
                if over >= 0:
                    record.locked_until = now + min(self.max_lockout_s, self.lockout_s * 2 ** min(over, 30))

    def succeeded(self, user: str, address: str) -> None:
        with self._lock:
            for key in self._keys(user, address):
                self._records.pop(key, None)

    @staticmethod
    def _keys(user: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", user.strip().casefold()), ("address", address)

    def _forget_quiet(self, now: float) -> None:
        quiet = [k for k, r in self._records.items() if now - r.last_failure > self.max_lockout_s
                 and r.locked_until <= now]
        for key in quiet:
            del self._records[key]


class ThrottleLogins:
    """ASGI middleware that puts a ``LoginThrottle`` in front of Gradio's ``POST /login``."""

    def __init__(self, app: Callable, throttle: LoginThrottle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].rstrip("/").endswith("/login"):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive, MAX_FORM_BYTES)
        if body is None:
            await send_json(send, 413, {"detail": "login form too large"})
            return
        user = (parse_qs(body.decode("utf-8", "replace")).get("username") or [""])[0]
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.throttle.wait_s(user, address)
        if wait > 0:
            seconds = math.ceil(wait)
            await send_json(send, 429, {"detail": f"too many failed logins; try again in {seconds} s"},
                             [(b"retry-after", str(seconds).encode())])
            return
        status: dict[str, Any] = {}

        async def watch(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, replay_body(body, receive), watch)
        if status.get("code") == 200:
            self.throttle.succeeded(user, address)
        elif status.get("code") in (400, 401, 403):  # Gradio answers a wrong password with 400
            logger.warning("failed login for %r from %s", printable(user), printable(address))
            self.throttle.failed(user, address)


