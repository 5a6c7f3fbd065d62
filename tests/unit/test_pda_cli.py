"""``caixiao-pda receive / sync / pending / inspect / putaway`` driven like a keyboard-wedge
scanner (one scan per stdin line), against the fake GraphQL server."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from pda_client import PdaClient, cli
from pda_client.config import PdaConfig, save_config
from tests.unit.pda_fake_server import P1_CASE, P1_EAN, P2_EAN, P3_EAN, FakeServer

GS1_LABEL = "]C1010690123456789217270131" + "10LOT42"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    fake = FakeServer()
    monkeypatch.setattr(cli, "PdaClient", functools.partial(
        PdaClient, transport=fake.transport, backoff=0, retries=1))
    return fake


@pytest.fixture
def runner(tmp_path: Path, server: FakeServer) -> CliRunner:
    save_config(tmp_path / "config.json",
                PdaConfig(url="http://pda.test/graphql", username="warehouse", token="t"))
    return CliRunner(env={"CAIXIAO_PDA_HOME": str(tmp_path), "CAIXIAO_PDA_QUEUE": None})


def run(runner: CliRunner, *args: str, lines: list[str] | None = None) -> Result:
    stdin = "".join(f"{line}\n" for line in lines) if lines is not None else None
    return runner.invoke(cli.app, list(args), input=stdin)


def test_receive_counts_scans_warns_and_posts(runner: CliRunner, server: FakeServer) -> None:
    result = run(runner, "receive", "PO-2026-000001", lines=[
        GS1_LABEL, P1_CASE, P1_EAN, P3_EAN, P2_EAN, "qty P2 5", "undo", "lines", "post"])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Receiving PO-2026-000001 into WH1" in out
    assert "+1 P1 lot LOT42 (line 1): counted 1" in out
    assert "+12 P1 (line 1): counted 13" in out
    assert "+1 P1 (line 1): counted 14" in out
    assert "NOT_ON_ORDER: P3 is not on PO-2026-000001" in out
    assert "Undone: qty P2" in out
    assert "Sent: receiveGoods #1, receipt GR-2026-000001" in out
    (name, sent), = server.mutations
    assert name == "receiveGoods"
    assert [(line.get("sku"), line["quantity"]) for line in sent["lines"]] == [
        ("P1", "13"), (None, "1"), (None, "1")]


def test_over_receipt_shows_at_the_scan_and_a_refused_post_keeps_the_count(
    runner: CliRunner, server: FakeServer
) -> None:
    server.document["lines"][0]["maxReceivable"] = "10"

    result = run(runner, "receive", "PO-2026-000001", lines=[P1_CASE, "post", "qty P1 10",
                                                             "post"])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "OVER_RECEIPT: P1: counted 12, only 10 more may be received on line 1" in out
    assert "Refused: receiveGoods #1" in out
    assert "OVER_RECEIPT 16901234567899: at most 10 more" in out
    assert "Sent: receiveGoods #2, receipt GR-2026-000001" in out
    assert len(server.receipts) == 1


def test_quit_keeps_the_session_and_receive_goes_on_with_it(
    runner: CliRunner, server: FakeServer
) -> None:
    first = run(runner, "receive", "PO-2026-000001", lines=[P1_CASE, "quit", P1_CASE])
    assert first.exit_code == 0, first.output
    assert "Session 1 kept" in first.stdout
    assert first.stdout.count("+12 P1") == 1

    listed = run(runner, "pending")
    assert "session 1: receiving PO-2026-000001, 12 counted" in listed.stdout

    second = run(runner, "receive", "PO-2026-000001", lines=[P1_EAN, "post"])
    assert "counted 13" in second.stdout
    assert server.mutations[0][1]["lines"] == [{"sku": "P1", "quantity": "13"}]


def test_offline_post_waits_in_the_queue_until_sync(
    runner: CliRunner, server: FakeServer
) -> None:
    run(runner, "receive", "PO-2026-000001", lines=[P1_CASE])
    server.offline = True

    posted = run(runner, "receive", "PO-2026-000001", lines=["post"])
    assert "Not sent yet: receiveGoods #1 is kept in the queue" in posted.stdout
    assert "1 pending" in posted.stdout

    listed = run(runner, "pending")
    assert "#1 receiveGoods key" in listed.stdout and "1 pending." in listed.stdout

    still_offline = run(runner, "sync")
    assert still_offline.exit_code == 1
    assert "1 pending." in still_offline.stdout

    server.offline = False
    warned = run(runner, "receive", "PO-2026-000001", lines=["quit"])
    assert "1 receipt(s) still wait to be sent" in warned.stdout
    synced = run(runner, "sync")
    assert synced.exit_code == 0, synced.output
    assert "Sent: receiveGoods #1, receipt GR-2026-000001" in synced.stdout
    assert "0 pending." in synced.stdout
    assert run(runner, "sync").stdout == "0 sent or tried, 0 pending.\n"
    assert len(server.receipts) == 1


def test_inspect_lists_qc_tasks_and_records_a_decision(
    runner: CliRunner, server: FakeServer
) -> None:
    needs_warehouse = run(runner, "inspect")
    assert needs_warehouse.exit_code == 1
    assert "--warehouse" in needs_warehouse.stderr

    listed = run(runner, "inspect", "--warehouse", "WH1")
    assert listed.exit_code == 0, listed.output
    assert "QC" in listed.stdout and "P2" in listed.stdout and "PUTAWAY" not in listed.stdout

    decided = run(runner, "inspect", "7", "--accept", "18", "--reject", "2", "--result",
                  "PASS", "--notes", "two dented")
    assert decided.exit_code == 0, decided.output
    assert "Sent: recordInspection #1" in decided.stdout
    assert server.mutations[0][1]["result"] == "PASS"

    split = run(runner, "inspect", "7", "--accept", "1", "--reject", "1")
    assert split.exit_code == 1
    assert "--result" in split.stderr

    refused = run(runner, "inspect", "7", "--reject", "30")
    assert refused.exit_code == 1
    assert "OVER_INSPECTION" in refused.stdout
    assert server.mutations[-1][1]["result"] == "FAIL"


def test_putaway_lists_tasks_and_confirms_by_scanning_the_bin(
    runner: CliRunner, server: FakeServer
) -> None:
    listed = run(runner, "putaway", "--warehouse", "WH1")
    assert listed.exit_code == 0, listed.output
    assert "PUTAWAY P1" in listed.stdout and "-> WH1-A-01" in listed.stdout

    done = run(runner, "putaway", "P1", "WH1-RCV", "WH1-A-01", "24", "--lot", "L1")
    assert done.exit_code == 0, done.output
    assert "Sent: putaway #1" in done.stdout

    wrong_bin = run(runner, "putaway", "P1", "WH1-RCV", "WH1-QC", "24")
    assert wrong_bin.exit_code == 1
    assert "INVALID_LOCATION" in wrong_bin.stdout

    partial = run(runner, "putaway", "P1", "WH1-RCV")
    assert partial.exit_code == 1
    assert "usage" in partial.stderr


def test_commands_need_a_login(tmp_path: Path) -> None:
    runner = CliRunner(env={"CAIXIAO_PDA_HOME": str(tmp_path / "nobody")})
    result = runner.invoke(cli.app, ["sync"])
    assert result.exit_code == 1
    assert "not logged in" in result.stderr
