"""The offline queue and the client's delivery: retries under one idempotency key, exactly one
receipt after cut answers, kills and restarts, and the pending count."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from pda_client import PdaClient, PdaError
from pda_client.queue import default_queue_path
from tests.unit.pda_fake_server import (
    CONNECT_ERROR,
    FORBIDDEN,
    LOGIN_EXPIRED,
    P1_CASE,
    P1_EAN,
    SAME_KEY_RUNNING,
    SERVER_ERROR,
    TIMEOUT_AFTER_COMMIT,
    FakeServer,
    client_for,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = "PO-2026-000001"


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def queue_file(tmp_path: Path) -> Path:
    return tmp_path / "pda" / "queue.sqlite3"


def test_post_cut_after_commit_is_retried_under_one_key_and_received_once(
    server: FakeServer, queue_file: Path
) -> None:
    server.faults = [TIMEOUT_AFTER_COMMIT] * 5
    with client_for(server, queue_file, retries=5) as client:
        session = client.start_receiving(DOCUMENT)
        session.scan(P1_CASE)
        result = session.post()

    assert (result.status, result.receipt_number, result.attempts) == (
        "sent", "GR-2026-000001", 1)
    assert len(server.keys_seen) == 6
    assert set(server.keys_seen) == {result.idempotency_key}
    assert len(server.receipts) == 1


def test_unanswered_post_stays_pending_and_sync_after_a_restart_sends_it_once(
    server: FakeServer, queue_file: Path
) -> None:
    server.faults = [TIMEOUT_AFTER_COMMIT, CONNECT_ERROR, SERVER_ERROR]
    with client_for(server, queue_file, retries=2) as client:
        session = client.start_receiving(DOCUMENT)
        session.scan(P1_CASE)
        cut = session.post()
        assert (cut.status, cut.unanswered) == ("pending", True)
        assert "SERVER_ERROR" in (cut.error or "")
        assert session.status == "submitted"
        assert client.pending_count() == 1

    with client_for(server, queue_file) as restarted:
        assert restarted.pending_count() == 1
        (report,) = restarted.sync()
        assert (report.status, report.receipt_number) == ("sent", "GR-2026-000001")
        assert restarted.pending_count() == 0
        assert restarted.sync() == []
        assert restarted.receiving_sessions() == []

    assert set(server.keys_seen) == {cut.idempotency_key}
    assert len(server.keys_seen) == 4
    assert len(server.receipts) == 1


def test_scans_and_the_open_session_survive_a_killed_process(
    server: FakeServer, queue_file: Path
) -> None:
    script = textwrap.dedent(f"""
        import os, signal
        from tests.unit.pda_fake_server import FakeServer, client_for
        client = client_for(FakeServer(), {str(queue_file)!r})
        session = client.start_receiving({DOCUMENT!r})
        session.scan({P1_CASE!r})
        session.scan({P1_EAN!r})
        session.undo()
        session.scan({P1_CASE!r})
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    killed = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, check=False,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert killed.returncode == -9

    server.offline = True
    with client_for(server, queue_file) as client:
        (session,) = client.receiving_sessions()
        assert [(tally.line.sku, tally.counted) for tally in session.lines()] == [
            ("P1", 24), ("P2", 0)]
        resumed = client.start_receiving(DOCUMENT)
        assert resumed.id == session.id
        assert resumed.post().status == "pending"
        assert client.pending_count() == 1


def test_sync_reports_still_pending_while_offline_and_sends_in_order_later(
    server: FakeServer, queue_file: Path
) -> None:
    server.offline = True
    with client_for(server, queue_file, retries=1) as client:
        inspection = client.record_inspection("7", accepted=15, rejected=5, result="concession")
        putaway = client.putaway("P1", "WH1-RCV", "WH1-A-01", 24, "L1")
        assert client.pending_count() == 2

        offline = client.sync()
        assert [(r.post_id, r.status, r.unanswered) for r in offline] == [
            (inspection.post_id, "pending", True), (putaway.post_id, "pending", True)]
        assert [r.attempts for r in offline] == [2, 1]

        server.offline = False
        online = client.sync()

    assert [(r.operation, r.status) for r in online] == [
        ("recordInspection", "sent"), ("putaway", "sent")]
    assert [name for name, _ in server.mutations] == ["recordInspection", "putaway"]
    assert online[1].payload is not None
    assert online[1].payload["movement"] == {"documentNumber": "PA-2026-000001"}


def test_refusal_met_during_sync_is_reported_per_line_and_reopens_the_session(
    server: FakeServer, queue_file: Path
) -> None:
    with client_for(server, queue_file) as client:
        session = client.start_receiving(DOCUMENT)
        session.set_quantity("P2", 10)
        session.scan(P1_CASE)
        server.offline = True
        assert session.post().status == "pending"
        server.offline = False
        server.document["lines"][0]["maxReceivable"] = "6"

        (report,) = client.sync()

        assert report.status == "conflict"
        assert [(p.code, p.line) for p in report.problems] == [
            ("OVER_RECEIPT", {"barcode": P1_CASE, "quantity": "12"})]
        (reopened,) = client.receiving_sessions()
        assert reopened.id == session.id
        assert reopened.document.lines[0].max_receivable == 6
        assert [tally.counted for tally in reopened.lines()] == [12, 10]
        assert client.pending_count() == 0
    assert server.receipts == {}


@pytest.mark.parametrize(("fault", "code"), [(SAME_KEY_RUNNING, "CONFLICT"),
                                              (LOGIN_EXPIRED, "UNAUTHENTICATED")])
def test_same_key_still_running_or_login_expired_stays_pending_for_sync(
    server: FakeServer, queue_file: Path, fault: str, code: str
) -> None:
    server.faults = [fault]
    with client_for(server, queue_file) as client:
        session = client.start_receiving(DOCUMENT)
        session.scan(P1_EAN)
        waiting = session.post()
        assert (waiting.status, session.status) == ("pending", "submitted")
        assert [p.code for p in waiting.problems] == [code]
        assert code in (waiting.error or "")

        (report,) = client.sync()
    assert report.status == "sent"
    assert set(server.keys_seen) == {waiting.idempotency_key}


def test_a_graphql_error_fails_the_post_and_reopens_the_session(
    server: FakeServer, queue_file: Path
) -> None:
    server.faults = [FORBIDDEN]
    with client_for(server, queue_file) as client:
        session = client.start_receiving(DOCUMENT)
        session.scan(P1_EAN)
        failed = session.post()

        assert failed.status == "failed"
        assert "FORBIDDEN" in (failed.error or "")
        assert session.status == "open"
        assert client.pending_count() == 0
        assert [r.post_id for r in client.outbox(["failed"])] == [failed.post_id]
        assert client.sync() == []


def test_queries_retry_5xx_and_network_errors_with_growing_pauses(tmp_path: Path) -> None:
    answers = [httpx.Response(502), httpx.Response(503),
               httpx.Response(200, json={"data": {"me": {"username": "warehouse",
                                                         "roles": ["WAREHOUSE"]}}})]
    pauses: list[float] = []

    def handle(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    with PdaClient("http://pda.test", queue_path=tmp_path / "q.sqlite3", retries=2,
                   backoff=0.1, sleep=pauses.append,
                   transport=httpx.MockTransport(handle)) as client:
        assert client.me().username == "warehouse"
    assert pauses == [0.1, 0.2]


def test_client_errors_are_not_retried_and_retries_are_bounded(tmp_path: Path) -> None:
    calls: list[int] = []

    def not_found(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404)

    with PdaClient("http://pda.test", queue_path=tmp_path / "q.sqlite3", retries=3,
                   sleep=lambda _: None, transport=httpx.MockTransport(not_found)) as client, \
            pytest.raises(PdaError) as raised:
        client.me()
    assert (raised.value.code, len(calls)) == ("HTTP_ERROR", 1)

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    with PdaClient("http://pda.test", queue_path=tmp_path / "q.sqlite3", retries=3,
                   sleep=lambda _: None, transport=httpx.MockTransport(refuse)) as client, \
            pytest.raises(PdaError) as raised:
        client.me()
    assert (raised.value.code, len(calls)) == ("NETWORK", 5)


def test_pending_count_needs_no_server_and_the_queue_opens_lazily(
    queue_file: Path, server: FakeServer
) -> None:
    server.offline = True
    with client_for(server, queue_file) as client:
        assert not queue_file.exists()
        assert client.pending_count() == 0
    assert queue_file.exists()


def test_queue_path_comes_from_the_environment() -> None:
    assert default_queue_path({"CAIXIAO_PDA_QUEUE": "/q/file.db",
                               "CAIXIAO_PDA_HOME": "/h"}) == Path("/q/file.db")
    assert default_queue_path({"CAIXIAO_PDA_HOME": "/h"}) == Path("/h/queue.sqlite3")
    assert default_queue_path({"XDG_DATA_HOME": "/d"}) == Path("/d/caixiao-pda/queue.sqlite3")
    assert default_queue_path({}) == Path.home() / ".local/share/caixiao-pda/queue.sqlite3"
