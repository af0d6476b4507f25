"""Password guessing on the page's login slows down per user and per address, and the page can be served over TLS."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ui.logins import LoginThrottle

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
from serverkit import ARTIFACTS, start_server, stop_server

USER, PASSWORD = "analyst", "s3cret-pass"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lockouts_start_after_the_allowed_failures_and_double_up_to_the_ceiling():
    clock = Clock()
    throttle = LoginThrottle(user_attempts=3, address_attempts=100, lockout_s=1.0, max_lockout_s=8.0, clock=clock)
    waits = []
    for _ in range(8):
        assert throttle.wait_s(USER, "10.0.0.1") == 0
        throttle.failed(USER, "10.0.0.1")
        waits.append(throttle.wait_s(USER, "10.0.0.1"))
        clock.now += waits[-1]
    assert waits == [0, 0, 1, 2, 4, 8, 8, 8]
    assert throttle.wait_s(USER, "10.0.0.2") == 0, "another address is not locked by the user's count alone"
    throttle.failed(USER, "10.0.0.2")
    assert throttle.wait_s(USER, "10.0.0.3") == 8, "the user is locked from any address"
    clock.now += 8
    throttle.succeeded(USER, "10.0.0.1")
    assert throttle.wait_s(USER, "10.0.0.1") == 0


def test_many_user_names_from_one_address_lock_that_address_only():
    clock = Clock()
    throttle = LoginThrottle(user_attempts=5, address_attempts=4, lockout_s=2.0, max_lockout_s=60.0, clock=clock)
    for i in range(4):
        throttle.failed(f"user{i}", "10.0.0.9")
    assert throttle.wait_s("someone-new", "10.0.0.9") == 2
    assert throttle.wait_s("someone-new", "10.0.0.10") == 0
    clock.now += 61 + 2
    assert throttle.wait_s("someone-new", "10.0.0.9") == 0, "a quiet count is forgotten"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def _login(url: str, user: str, password: str) -> httpx.Response:
    return httpx.post(url + "login", data={"username": user, "password": password}, verify=False, timeout=30)


@pytest.mark.slow
def test_twenty_wrong_passwords_lock_the_user_out_over_tls_and_the_right_one_works_after_the_lockout(
    small_index, small_reports, tmp_path
):
    """Regression: 50 wrong passwords were all checked in 0.1 s, with no slowdown or lockout."""
    from gradio_client import Client

    cert, key = _self_signed(tmp_path)
    shutil.copytree(small_index.data_dir, tmp_path / "data")
    env = {"REPORTQA_CORPUS_DIR": str(small_reports), "REPORTQA_SERVE__LOGIN_ATTEMPTS_PER_USER": "3",
           "REPORTQA_SERVE__LOGIN_ATTEMPTS_PER_ADDRESS": "8", "REPORTQA_SERVE__LOGIN_LOCKOUT_S": "2",
           "REPORTQA_SERVE__LOGIN_MAX_LOCKOUT_S": "4", "GRADIO_TEMP_DIR": str(tmp_path / "gradio")}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = start_server(tmp_path / "data", ARTIFACTS / "logins-server.log", "--auth", f"{USER}:{PASSWORD}",
                          "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), env=env, scheme="https")
    try:
        assert server.url.startswith("https://")
        with pytest.raises(httpx.HTTPError):  # TLS only: plain HTTP on the same port gets no page
            httpx.get(server.url.replace("https://", "http://"), timeout=10).raise_for_status()
        assert "https://127.0.0.1" in server.log()

        codes = [_login(server.url, USER, f"guess-{i}").status_code for i in range(20)]
        assert codes[:3] == [400, 400, 400] and set(codes[3:]) == {429}, codes
        locked = _login(server.url, USER, PASSWORD)
        assert locked.status_code == 429, "a locked-out user is not checked, even with the right password"
        assert "too many failed logins" in locked.json()["detail"] and int(locked.headers["retry-after"]) >= 1
        time.sleep(2.2)
        assert _login(server.url, USER, PASSWORD).status_code == 200

        # Many user names from one address: the address is locked, whichever name comes next.
        codes = [_login(server.url, f"user{i}", "x").status_code for i in range(8)]
        assert codes == [400] * 8, codes
        assert _login(server.url, USER, PASSWORD).status_code == 429
        time.sleep(2.2)
        client = Client(server.url, auth=(USER, PASSWORD), verbose=False, ssl_verify=False)
        assert {d["title"] for d in client.predict(api_name="/documents")}
    finally:
        stop_server(server.process)
    assert "NETWORK GUARD" not in server.log()


def test_a_certificate_without_its_key_is_a_settings_error_and_a_missing_file_is_named(tmp_path):
    from serverkit import REPO, free_port, server_env

    base = [sys.executable, "-m", "ui.cli", "serve", "--port", str(free_port()), "--data-dir", str(tmp_path / "d")]
    run = dict(cwd=REPO, env=server_env(tmp_path / "guard"), capture_output=True, text=True, timeout=120)
    alone = subprocess.run([*base, "--ssl-certfile", str(tmp_path / "cert.pem")], **run)
    assert alone.returncode == 2 and "give both or neither" in alone.stderr, alone.stderr
    missing = subprocess.run([*base, "--ssl-certfile", str(tmp_path / "cert.pem"), "--ssl-keyfile",
                              str(tmp_path / "key.pem")], **run)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr, missing.stderr
    assert f"--ssl-certfile {tmp_path / 'cert.pem'}: cannot be read" in " ".join(missing.stderr.split())
