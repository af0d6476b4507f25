"""The page's users file (``reportqa serve --users FILE``): several people, each with a hashed password and a role.

One user per line, ``name:role:hash``; ``#`` starts a comment. ``role`` is ``editor`` (may upload, remove and
re-ingest reports) or ``reader`` (asks, keeps a history, rates answers). ``hash`` is
``scrypt$<n>$<r>$<p>$<salt hex>$<key hex>`` (``hashlib.scrypt``); ``reportqa users add NAME`` writes such lines, so
no password is ever stored. Each user sees only their own conversation history (``ui.history`` keys it by name).

With ``--auth user:password`` instead, that one user is an editor; without a password (loopback only) everyone is.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ReportQAError

ROLES = ("editor", "reader")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME_RE = re.compile(r"[^\s:#]{1,64}")


class UsersFileError(ReportQAError):
    """The users file cannot be read, or a line of it is malformed (the message names the file and line)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str

    @property
    def may_edit(self) -> bool:
        return self.role == "editor"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, key = stored.split("$")
        if kind != "scrypt":
            return False
        given = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(key) // 2)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(given.hex(), key)


class Users:
    """The users of one page: who may log in, and who may change the reports."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users

    @classmethod
    def load(cls, path: Path) -> Users:
        """Read a users file.

        Raises:
            UsersFileError: unreadable, empty, or a malformed line (named by number).
        """
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsersFileError(f"the users file {path} cannot be read ({exc})") from exc
        users: dict[str, User] = {}
        for number, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(":")
            if len(parts) != 3 or not _NAME_RE.fullmatch(parts[0]) or parts[1] not in ROLES \
                    or not parts[2].startswith("scrypt$"):
                raise UsersFileError(f"{path}, line {number}: expected name:role:hash with role editor or reader "
                                     "(write lines with `reportqa users add NAME`)")
            users[parts[0]] = User(*parts)
        if not users:
            raise UsersFileError(f"the users file {path} names no user")
        return cls(users)

    def check(self, name: str, password: str) -> bool:
        """Gradio's ``auth`` callable: whether ``password`` is ``name``'s."""
        user = self.users.get(name)
        return user is not None and verify_password(password, user.password_hash)

    def may_edit(self, name: str) -> bool:
        user = self.users.get(name)
        return user is not None and user.may_edit


def add_user(path: Path, name: str, password: str, role: str = "reader") -> None:
    """Add ``name`` to the users file (or replace their line), with a freshly salted hash of ``password``.

    Raises:
        UsersFileError: a bad name or role, or the file cannot be written.
    """
    if not _NAME_RE.fullmatch(name or ""):
        raise UsersFileError(f"a user name has 1-64 characters and no spaces, ':' or '#': {name!r}")
    if role not in ROLES:
        raise UsersFileError(f"unknown role {role!r}; choose {' or '.join(ROLES)}")
    if not password:
        raise UsersFileError("the password is empty")
    path = Path(path)
    try:
        kept = [line for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
                if line.split("#", 1)[0].split(":", 1)[0].strip() != name]
        path.write_text("\n".join([*kept, f"{name}:{role}:{hash_password(password)}"]) + "\n", encoding="utf-8")
        path.chmod(0o600)
    except OSError as exc:
        raise UsersFileError(f"cannot write the users file {path} ({exc.strerror or exc})") from exc


def editor_check(settings) -> Callable[[str], bool]:
    """Who may upload, remove and re-ingest reports on this page: the editors of the users file, or everyone (one
    ``--auth`` user, or no password on a loopback page).

    Raises:
        UsersFileError: the users file cannot be read.
    """
    if settings.serve.users_file is None:
        return lambda name: True
    return Users.load(settings.serve.users_file).may_edit
