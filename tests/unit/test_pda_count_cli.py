"""``caixiao-pda count`` driven like a keyboard-wedge scanner (one scan or command per stdin
line), against the fake counting server."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pda_client import PdaClient, cli
from pda_client.config import PdaConfig, save_config
from tests.unit.pda_fake_counting import STOCKTAKE_NUMBER, CountingFakeServer
from tests.unit.pda_fake_server import P1_CASE, P1_EAN


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> CountingFakeServer:
    fake = CountingFakeServer()
    monkeypatch.setattr(cli, "PdaClient", functools.partial(
        PdaClient, transport=fake.transport, backoff=0, retries=1))
    return fake


@pytest.fixture
def runner(tmp_path: Path, server: CountingFakeServer) -> CliRunner:
    save_config(tmp_path / "config.json",
                PdaConfig(url="http://pda.test/graphql", username="warehouse", token="t"))
    return CliRunner(env={"CAIXIAO_PDA_HOME": str(tmp_path), "CAIXIAO_PDA_QUEUE": None,
                          "CAIXIAO_PDA_DEVICE": "pda-7"})


def test_count_scans_bins_and_items_and_sends_each_bin_on_done(
    runner: CliRunner, server: CountingFakeServer
) -> None:
    lines = [P1_EAN, "WH1-A-01", P1_EAN, P1_EAN, "WH1-A-02", "undo", P1_CASE, "qty 2",
             "qty P3 4 L1", "bins", "done", "WH1-A-02", "qty P2 0", "done", "quit"]
    result = runner.invoke(cli.app, ["count", STOCKTAKE_NUMBER],
                           input="".join(f"{line}\n" for line in lines))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Counting {STOCKTAKE_NUMBER} (blind) as pda-7 (session 1, 0 pending)" in out
    assert "! WRONG_BIN: 6901234567892 is no bin of ST-2026-000001: scan the bin first" in out
    assert "bin WH1-A-01: scan its items" in out
    assert "6901234567892: 2 in WH1-A-01" in out
    assert "! BIN_NOT_DONE: bin WH1-A-01 has counts not sent" in out
    assert f"Undone: item {P1_EAN}" in out
    assert f"{P1_CASE}: 2 in WH1-A-01" in out
    assert "P3 lot L1: 4 in WH1-A-01" in out
    assert "> counting WH1-A-01: 6901234567892 × 1, 16901234567899 × 2, P3 lot L1 × 4" in out
    assert "  WH1-A-01     open     round 1" in out
    assert out.count("Sent: recordCount") == 4
    assert "> scan a bin" in out
    assert server.units("WH1-A-01", "P1") == 1 + 24
    assert server.units("WH1-A-02", "P2") == 0
    assert f"`caixiao-pda count {STOCKTAKE_NUMBER}` goes on with it" in out


def test_pending_shows_a_bin_whose_counts_are_not_sent(
    runner: CliRunner, server: CountingFakeServer
) -> None:
    counted = runner.invoke(cli.app, ["count", STOCKTAKE_NUMBER],
                            input=f"WH1-A-01\n{P1_EAN}\nquit\n")
    assert counted.exit_code == 0, counted.output
    result = runner.invoke(cli.app, ["pending"])
    assert result.exit_code == 0, result.output
    assert (f"counting {STOCKTAKE_NUMBER}: bin WH1-A-01, 2 step(s) not sent (`done` sends them)"
            in result.stdout)
    assert server.mutations == []
