"""Where the page may listen: loopback by default, a public interface only with a password (or on insistence)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from rag.errors import ReportQAError
from ui.serve import check_exposure, is_loopback, parse_auth


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_hosts_need_no_password(host):
    assert is_loopback(host)
    check_exposure(host, None, insecure_no_auth=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "reports.example.com"])
def test_a_public_host_without_a_password_is_refused_unless_insisted_on(host):
    with pytest.raises(ReportQAError, match="--auth user:password"):
        check_exposure(host, None, insecure_no_auth=False)
    check_exposure(host, ("analyst", "s3cret"), insecure_no_auth=False)
    check_exposure(host, None, insecure_no_auth=True)


def test_auth_is_user_colon_password_and_the_password_may_hold_colons():
    assert parse_auth("analyst:pa:ss") == ("analyst", "pa:ss")
    assert parse_auth(None) is None
    for bad in ("analyst", ":pw", "analyst:"):
        with pytest.raises(ReportQAError):
            parse_auth(bad)


def test_the_serve_command_refuses_0_0_0_0_without_auth_and_says_why(tmp_path):
    from serverkit import REPO, free_port, server_env

    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "serve", "--host", "0.0.0.0", "--port", str(free_port()),
         "--data-dir", str(tmp_path / "data")],
        cwd=REPO, env=server_env(tmp_path / "guard"), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "refusing to serve on 0.0.0.0 without a password" in result.stderr


@pytest.mark.slow
def test_a_public_host_with_auth_serves_only_to_the_password(copied_index, tmp_path):
    from gradio_client import Client

    from serverkit import start_server, stop_server

    server = start_server(copied_index.data_dir, tmp_path / "server.log", "--host", "0.0.0.0",
                          "--auth", "analyst:s3cret")
    try:
        assert httpx.get(server.url + "gradio_api/info", timeout=10).status_code == 401
        with pytest.raises(Exception):
            Client(server.url, verbose=False)
        client = Client(server.url, auth=("analyst", "s3cret"), verbose=False)
        assert {d["title"] for d in client.predict(api_name="/documents")}
    finally:
        stop_server(server.process)
    assert "NETWORK GUARD" not in server.log()
