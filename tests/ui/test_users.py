"""The page's users file: hashed passwords, roles, clear errors for a bad file; and the command that writes it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ui.users import Users, UsersFileError, add_user, editor_check
from serverkit import REPO


def test_a_users_file_holds_only_salted_hashes_and_checks_each_users_password(tmp_path):
    path = tmp_path / "users.txt"
    add_user(path, "alice", "wonder-land-42", "editor")
    add_user(path, "bob", "builder:with:colons", "reader")
    text = path.read_text(encoding="utf-8")
    assert "wonder-land-42" not in text and "builder" not in text and text.count("scrypt$") == 2
    users = Users.load(path)
    assert users.check("alice", "wonder-land-42") and users.check("bob", "builder:with:colons")
    assert not users.check("alice", "builder:with:colons") and not users.check("carol", "wonder-land-42")
    assert users.may_edit("alice") and not users.may_edit("bob") and not users.may_edit("carol")

    add_user(path, "bob", "new-password", "editor")  # replaces bob's line
    users = Users.load(path)
    assert len(users.users) == 2 and users.check("bob", "new-password") and users.may_edit("bob")


@pytest.mark.parametrize("text, words", [
    ("alice:admin:scrypt$1$1$1$00$00\n", "line 1"),
    ("# only a comment\n", "names no user"),
    ("alice:editor:plaintext-password\n", "line 1"),
])
def test_a_malformed_users_file_is_an_error_naming_the_file_and_line(tmp_path, text, words):
    path = tmp_path / "users.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsersFileError, match=words) as caught:
        Users.load(path)
    assert str(path) in str(caught.value)


def test_without_a_users_file_everyone_may_change_the_reports(make_settings, tmp_path):
    assert editor_check(make_settings())("anyone")
    path = tmp_path / "users.txt"
    add_user(path, "reader1", "pw-123456", "reader")
    assert not editor_check(make_settings(serve={"users_file": path}))("reader1")


def test_the_users_command_adds_a_user_from_stdin_and_auth_with_a_users_file_is_refused(tmp_path, make_settings):
    path = tmp_path / "users.txt"
    done = subprocess.run([sys.executable, "-m", "ui.cli", "users", "add", "dana", "--file", str(path), "--role",
                           "editor", "--password-stdin"], input="s3cret-pass\n", capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert Users.load(path).check("dana", "s3cret-pass")
    with pytest.raises(ValueError, match="not both"):
        make_settings(serve={"users_file": path, "auth": "a:b"})
