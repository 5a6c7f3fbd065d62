"""The PDA client against a real server: ``caixiao serve --demo`` under uvicorn on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from pda_client import PdaClient, PdaError
from pda_client.cli import app as pda_app
from server.demo import DEMO_PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"caixiao serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"caixiao serve not healthy after {START_TIMEOUT_S}s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("pda-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CAIXIAO_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'demo.db'}",
           "PYTHONPATH": str(REPO_ROOT)}
    log = folder / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--demo", "--host", "127.0.0.1",
             "--port", str(port)],
            cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_login_then_me_as_the_warehouse_user(server_url: str) -> None:
    with PdaClient(server_url) as client:
        session = client.login("warehouse", DEMO_PASSWORD)
        assert client.token == session.token
        assert session.expires_at is not None and session.expires_at.tzinfo is not None
        identity = client.me()
    assert identity.username == "warehouse"
    assert identity.roles == ("WAREHOUSE",)
    assert identity.supplier_id is None


def test_a_supplier_user_sees_its_supplier(server_url: str) -> None:
    with PdaClient(f"{server_url}/graphql") as client:
        client.login("supplier1", DEMO_PASSWORD)
        identity = client.me()
    assert identity.roles == ("SUPPLIER",)
    assert identity.supplier_id is not None


def test_wrong_password_is_a_typed_error_and_keeps_no_token(server_url: str) -> None:
    with PdaClient(server_url) as client:
        with pytest.raises(PdaError) as raised:
            client.login("warehouse", "not-the-password")
        assert raised.value.code == "UNAUTHENTICATED"
        assert client.token is None


def test_anonymous_me_is_refused(server_url: str) -> None:
    with PdaClient(server_url) as client, pytest.raises(PdaError) as raised:
        client.me()
    assert raised.value.code == "UNAUTHENTICATED"


def test_unreachable_server_is_a_network_error() -> None:
    with PdaClient(f"http://127.0.0.1:{_free_port()}", timeout=2) as client, \
            pytest.raises(PdaError) as raised:
        client.login("warehouse", DEMO_PASSWORD)
    assert raised.value.code == "NETWORK"


def test_pda_cli_logs_in_saves_the_token_and_says_who(server_url: str, tmp_path: Path) -> None:
    runner = CliRunner(env={"CAIXIAO_PDA_HOME": str(tmp_path)})

    before = runner.invoke(pda_app, ["whoami"])
    assert before.exit_code == 1
    assert "not logged in" in before.stderr

    logged_in = runner.invoke(pda_app, ["login", "--url", server_url, "qc"],
                              input=f"{DEMO_PASSWORD}\n")
    assert logged_in.exit_code == 0, logged_in.output
    config = tmp_path / "config.json"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600

    whoami = runner.invoke(pda_app, ["whoami"])
    assert whoami.exit_code == 0, whoami.output
    assert whoami.stdout.startswith("qc on ")
    assert "QC" in whoami.stdout

    refused = runner.invoke(pda_app, ["login", "qc", "--password", "wrong-password"])
    assert refused.exit_code == 1
    assert "UNAUTHENTICATED" in refused.stderr
