"""``caixiao-pda pick / ship`` driven like a keyboard-wedge scanner (one scan or command per
stdin line), against the fake picking server."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from pda_client import PdaClient, cli
from pda_client.config import PdaConfig, save_config
from tests.unit.pda_fake_picking import P1_L1_LABEL, PICK_LIST, PickingFakeServer, pick_list
from tests.unit.pda_fake_server import P1_CASE, P1_EAN, P2_EAN


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> PickingFakeServer:
    fake = PickingFakeServer()
    fake.add_pick_list(pick_list())
    monkeypatch.setattr(cli, "PdaClient", functools.partial(
        PdaClient, transport=fake.transport, backoff=0, retries=1))
    return fake


@pytest.fixture
def runner(tmp_path: Path, server: PickingFakeServer) -> CliRunner:
    save_config(tmp_path / "config.json",
                PdaConfig(url="http://pda.test/graphql", username="warehouse", token="t"))
    return CliRunner(env={"CAIXIAO_PDA_HOME": str(tmp_path), "CAIXIAO_PDA_QUEUE": None,
                          "CAIXIAO_PDA_WAREHOUSE": None})


def run(runner: CliRunner, *args: str, lines: list[str] | None = None) -> Result:
    stdin = "".join(f"{line}\n" for line in lines) if lines is not None else None
    return runner.invoke(cli.app, list(args), input=stdin)


def test_pick_walks_the_list_with_warnings_at_once_and_confirms_each_line(
    runner: CliRunner, server: PickingFakeServer
) -> None:
    result = run(runner, "pick", PICK_LIST, lines=[
        P1_EAN, "WH1-A-02", "WH1-A-01", P2_EAN, P1_L1_LABEL, P1_CASE, P1_CASE, "undo",
        "lines", "confirm",
        "WH1-A-02", P2_EAN, "qty 2", "confirm"])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Picking {PICK_LIST} for SO-2026-000001 (session 1, 0 pending)" in out
    assert "> go to bin WH1-A-01, pick 13 × P1 lot L1" in out
    assert "! WRONG_BIN: 6901234567892 is not the bin: go to bin WH1-A-01 first" in out
    assert "! WRONG_BIN: WH1-A-02 is not the bin: go to bin WH1-A-01" in out
    assert "bin WH1-A-01 ok" in out
    assert "! WRONG_PRODUCT: 6901234567908 is P2, not P1: pick P1 from WH1-A-01" in out
    assert "+1 P1: 1 of 13 picked" in out
    assert "+12 P1: 25 of 13 picked" in out and "! OVER_PICK" in out
    assert "Undone: product 16901234567899" in out
    assert "> at WH1-A-01: 25 of 13 × P1 lot L1 picked: too many: undo or type the" in out
    assert "> at WH1-A-01: 13 of 13 × P1 lot L1 picked: confirm" in out
    assert "Sent: confirmPick #1" in out
    assert "> go to bin WH1-A-02, pick 2 × P2" in out
    assert out.index("+1 P2: 1 of 2 picked") < out.index("+1 P2: 2 of 2 picked")  # qty 2
    assert "Sent: confirmPick #2" in out
    assert f"{PICK_LIST} is picked: `caixiao-pda ship {PICK_LIST}" in out
    assert [(name, data["lineNo"], data["quantity"]) for name, data in server.mutations] == [
        ("confirmPick", 1, "13"), ("confirmPick", 2, "2")]


def test_pick_without_a_list_takes_the_next_task_of_the_warehouse(
    runner: CliRunner, server: PickingFakeServer
) -> None:
    needs_warehouse = run(runner, "pick")
    assert needs_warehouse.exit_code == 1
    assert "--warehouse" in needs_warehouse.stderr

    runner.env["CAIXIAO_PDA_WAREHOUSE"] = "WH1"
    result = run(runner, "pick", lines=["quit"])
    assert result.exit_code == 0, result.output
    assert f"Picking {PICK_LIST}" in result.stdout
    assert f"Session 1 kept: `caixiao-pda pick {PICK_LIST}` goes on with it." in result.stdout

    server.tasks = []
    none_left = run(runner, "pick", "--warehouse", "WH1")
    assert none_left.stdout.strip() == "No pick tasks left in WH1."


def test_a_short_brings_the_re_pick_line_and_quit_keeps_the_session(
    runner: CliRunner, server: PickingFakeServer
) -> None:
    server.repick_from["P1"] = ("WH1-A-02", "L2")
    first = run(runner, "pick", PICK_LIST, lines=[
        "WH1-A-01", "qty 10", "short 3", "short 3 box torn open", "confirm", "WH1-A-02",
        "quit", "WH1-A-02"])

    assert first.exit_code == 0, first.output
    out = first.stdout
    assert "usage: short N REASON" in out
    assert "short 3 P1: box torn open" in out
    assert "> go to bin WH1-A-02, pick 3 × P1 lot L2" in out
    assert out.count("bin WH1-A-02 ok") == 1
    sent = server.mutations[0][1]
    assert (sent["quantity"], sent["shortQuantity"], sent["shortReason"]) == (
        "10", "3", "box torn open")

    listed = run(runner, "pending")
    assert f"picking {PICK_LIST}: 2 line(s) left to pick, 0 waiting to be sent" in listed.stdout

    second = run(runner, "pick", PICK_LIST, lines=["lines", "(10)L2", "qty 3", "confirm"])
    out = second.stdout
    assert "> at WH1-A-02: scan P1 lot L2, 0 of 3 picked" in out
    assert "  1 WH1-A-01   P1           lot L1     to pick     0  picked" in out
    assert "lot L2 ok" in out
    assert "Sent: confirmPick #2" in out
    assert "> go to bin WH1-A-02, pick 2 × P2" in out


def test_offline_confirms_wait_for_sync_and_ship_goes_after_them(
    runner: CliRunner, server: PickingFakeServer
) -> None:
    assert run(runner, "pick", PICK_LIST, lines=["quit"]).exit_code == 0
    server.offline = True
    offline = run(runner, "pick", PICK_LIST, lines=[
        "WH1-A-01", "qty 13", "confirm", "WH1-A-02", "qty 2", "confirm"])

    assert offline.exit_code == 0, offline.output
    assert "Not sent yet: confirmPick #1 is kept in the queue" in offline.stdout
    assert "Nothing left to pick here; 2 confirmation(s) wait to be sent" in offline.stdout

    waiting = run(runner, "ship", PICK_LIST, "--carrier", "SF Express", "--tracking", "SF1")
    assert waiting.exit_code == 0, waiting.output
    assert "Not sent yet: confirmShipment #3" in waiting.stdout

    server.offline = False
    synced = run(runner, "sync")
    assert synced.exit_code == 0, synced.output
    assert "Sent: confirmShipment #3, shipment SH-2026-000001" in synced.stdout
    assert [name for name, _ in server.mutations] == [
        "confirmPick", "confirmPick", "confirmShipment"]

    again = run(runner, "ship", PICK_LIST, "--carrier", "SF Express", "--tracking", "SF1")
    assert again.exit_code == 1
    assert "INVALID_STATE" in again.stdout
