"""``caixiao worker`` as a process of its own delivers what the services commit."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from server.db import Database
from server.integrations.service import EndpointDraft, register_webhook
from server.inventory.service import adjust_stock
from tests.conftest import UserFactory
from tests.e2e.test_two_processes import CAIXIAO
from tests.stock_setup import adjustment, build_stock_world
from tests.webhook_receiver import eventually, running_receiver


@contextlib.contextmanager
def worker_process(database_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "CAIXIAO_DATABASE_URL": database_url}
    with log.open("wb") as output:
        process = subprocess.Popen([str(CAIXIAO), "worker", "--lanes", "2"], env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_the_worker_command_delivers(db: Database, make_user: UserFactory,
                                           tmp_path: Path) -> None:
    admin = await make_user()
    world = await build_stock_world(db)
    with running_receiver() as receiver:
        registered = await register_webhook(db, admin, EndpointDraft(receiver.url(),
                                                                     ["stock.*"]))
        with worker_process(db.url, tmp_path / "worker.log") as process:
            await adjust_stock(db, world.keeper, adjustment("SKU-1", "WH1-A", 2, unit_cost="1"))
            try:
                await eventually(lambda: receiver.accepted, within=30,
                                 message="the event received")
            finally:
                assert process.poll() is None, (tmp_path / "worker.log").read_text()
        assert receiver.signatures_valid(registered.secret)
        assert receiver.accepted[0].json["payload"]["sku"] == "SKU-1"
