"""The picking session against a fake GraphQL server: bin, product and lot checked locally in
walking order, pack quantities, shorts and the re-pick line they bring, and confirmations sent
exactly once through the offline queue (cut answers, offline, restarts)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from pda_client import LineProgress, PdaClient, PdaError, PickingSession
from pda_client.queue_schema import MIGRATIONS, SCHEMA
from tests.unit.pda_fake_picking import P1_L1_LABEL, PICK_LIST, PickingFakeServer, pick_list
from tests.unit.pda_fake_server import (
    CONNECT_ERROR,
    P1_CASE,
    P1_EAN,
    P2_EAN,
    P3_EAN,
    TIMEOUT_AFTER_COMMIT,
    client_for,
)


@pytest.fixture
def server() -> PickingFakeServer:
    fake = PickingFakeServer()
    fake.add_pick_list(pick_list())
    return fake


@pytest.fixture
def queue_file(tmp_path: Path) -> Path:
    return tmp_path / "queue.sqlite3"


@pytest.fixture
def client(server: PickingFakeServer, queue_file: Path) -> Iterator[PdaClient]:
    with client_for(server, queue_file) as client:
        yield client


@pytest.fixture
def session(client: PdaClient) -> PickingSession:
    return client.start_picking(PICK_LIST)


def requests(server: PickingFakeServer) -> int:
    return sum(server.calls.values())


def now(session: PickingSession) -> LineProgress:
    progress = session.current()
    assert progress is not None
    return progress


def at_line(session: PickingSession) -> tuple[int, str, str, Decimal]:
    progress = now(session)
    return (progress.line.line_no, progress.bin, progress.sku, progress.left)


def test_the_session_guides_bin_by_bin_in_the_pick_lists_order(
    session: PickingSession,
) -> None:
    progress = session.current()

    assert progress is not None
    assert (progress.bin, progress.sku, progress.lot, progress.remaining) == (
        "WH1-A-01", "P1", "L1", Decimal(13))
    assert progress.instruction == "go to bin WH1-A-01, pick 13 × P1 lot L1"
    assert [(p.line.line_no, p.bin) for p in session.lines()] == [
        (1, "WH1-A-01"), (2, "WH1-A-02")]
    assert session.scan("WH1-A-01").kind == "bin"
    assert now(session).instruction == (
        "at WH1-A-01: scan P1 lot L1, 0 of 13 picked")


def test_happy_path_through_two_lines(
    server: PickingFakeServer, client: PdaClient, session: PickingSession
) -> None:
    assert session.scan("WH1-A-01").warnings == ()
    label = session.scan(P1_L1_LABEL)
    case = session.scan(P1_CASE)
    assert (label.added, case.added, case.progress.picked) == (1, 12, 13)
    assert case.progress.left == 0 and case.warnings == ()

    first = session.confirm()

    assert first.status == "sent"
    assert server.mutations[-1] == ("confirmPick", {
        "pickListNumber": PICK_LIST, "lineNo": 1, "binBarcode": "WH1-A-01", "quantity": "13",
        "shortQuantity": "0", "basedOnVersion": 1, "sku": "P1", "lot": "L1",
        "idempotencyKey": first.idempotency_key})
    assert at_line(session) == (2, "WH1-A-02", "P2", 2)
    assert session.pick_list.version == 2

    session.scan("WH1-A-02")
    session.scan(P2_EAN)
    session.scan(P2_EAN)
    second = session.confirm()

    assert second.status == "sent"
    sent = server.mutations[-1][1]
    assert (sent["productBarcode"], sent["quantity"], sent["basedOnVersion"]) == (P2_EAN, "2", 2)
    assert "lot" not in sent and "sku" not in sent
    assert session.current() is None and session.finished
    assert session.pick_list.state == "PICKED"
    assert client.pending_count() == 0 and client.picking_sessions() == []
    with pytest.raises(PdaError) as done:
        session.scan(P2_EAN)
    assert done.value.code == "NOTHING_TO_PICK"


def test_a_wrong_bin_is_refused_locally_and_sends_nothing(
    server: PickingFakeServer, session: PickingSession
) -> None:
    before = requests(server)

    wrong = session.scan("WH1-A-02")
    product_first = session.scan(P1_EAN)

    assert (wrong.refused, wrong.warning_codes) == (True, ("WRONG_BIN",))
    assert "go to bin WH1-A-01" in wrong.warnings[0].message
    assert product_first.warning_codes == ("WRONG_BIN",)
    assert "first" in product_first.warnings[0].message
    with pytest.raises(PdaError) as unscanned:
        session.confirm()
    assert unscanned.value.code == "WRONG_BIN"
    session.scan("WH1-A-01")
    elsewhere = session.scan("WH1-A-02")
    assert elsewhere.warning_codes == ("WRONG_BIN",)
    assert now(session).picked == 0
    assert requests(server) == before


def test_a_wrong_product_is_refused_locally(
    server: PickingFakeServer, session: PickingSession
) -> None:
    session.scan("WH1-A-01")
    before = requests(server)

    other_line = session.scan(P2_EAN)
    unknown = session.scan(P3_EAN)
    malformed = session.scan("6901234567893")

    assert other_line.warning_codes == ("WRONG_PRODUCT",)
    assert "P2, not P1" in other_line.warnings[0].message
    assert unknown.warning_codes == ("WRONG_PRODUCT",)
    assert "no barcode of P1" in unknown.warnings[0].message
    assert malformed.warning_codes == ("MALFORMED_BARCODE",)
    assert all(result.refused for result in (other_line, unknown, malformed))
    assert now(session).picked == 0
    assert requests(server) == before


def test_a_lot_other_than_the_lines_is_refused(session: PickingSession) -> None:
    session.scan("WH1-A-01")

    wrong_label = session.scan("]C1010690123456789217270131" + "10L9")
    wrong_lot_label = session.scan("(10)L9")
    right_lot_label = session.scan("(10)L1")
    plain_ean = session.scan(P1_EAN)

    assert wrong_label.warning_codes == ("WRONG_LOT",)
    assert "take lot L1 of P1" in wrong_label.warnings[0].message
    assert wrong_lot_label.warning_codes == ("WRONG_LOT",)
    assert (right_lot_label.kind, right_lot_label.progress.lot_seen) == ("lot", "L1")
    assert (plain_ean.kind, plain_ean.added) == ("product", 1)
    assert now(session).picked == 1


def test_a_case_counts_its_pack_quantity_and_an_over_pick_warns(
    session: PickingSession,
) -> None:
    session.scan("WH1-A-01")

    case = session.scan(P1_CASE)
    counted_twelve = session.scan("]C102" + "0" + P1_EAN + "3712")
    assert (case.added, counted_twelve.added) == (12, 12)
    assert counted_twelve.warning_codes == ("OVER_PICK",)
    assert counted_twelve.progress.picked == 24
    with pytest.raises(PdaError) as over:
        session.confirm()
    assert over.value.code == "OVER_PICK"

    undone = session.undo()
    assert undone is not None and undone.kind == "product"
    assert session.scan(P1_EAN).progress.picked == 13
    typed = session.set_quantity(10)
    assert (typed.added, typed.progress.picked, typed.warnings) == (-3, 10, ())


def test_a_short_is_confirmed_and_the_re_pick_line_appears_in_walking_order(
    server: PickingFakeServer, session: PickingSession
) -> None:
    server.repick_from["P1"] = ("WH1-A-02", "L2")
    session.scan("WH1-A-01")
    session.set_quantity(10)
    with pytest.raises(PdaError) as no_reason:
        session.short(3, " ")
    assert no_reason.value.code == "INVALID_INPUT"
    shorted = session.short(3, "damaged boxes")
    assert (shorted.kind, shorted.progress.left) == ("short", 0)

    result = session.confirm()

    assert result.status == "sent"
    sent = server.mutations[-1][1]
    assert (sent["quantity"], sent["shortQuantity"], sent["shortReason"], sent["sku"]) == (
        "10", "3", "damaged boxes", "P1")
    assert at_line(session) == (3, "WH1-A-02", "P1", 3)
    assert now(session).lot == "L2"
    assert [(p.line.line_no, p.line.status) for p in session.lines()] == [
        (1, "PICKED"), (3, "OPEN"), (2, "OPEN")]


def test_a_confirm_cut_after_the_server_committed_is_retried_under_one_key(
    server: PickingFakeServer, queue_file: Path
) -> None:
    server.faults = [TIMEOUT_AFTER_COMMIT] * 3
    with client_for(server, queue_file, retries=3) as client:
        session = client.start_picking(PICK_LIST)
        session.scan("WH1-A-01")
        session.set_quantity(13)
        result = session.confirm()

    assert result.status == "sent"
    assert server.keys_seen == [result.idempotency_key] * 4
    assert len(server.picks_done) == 1
    assert server.pick_lists[PICK_LIST]["lines"][0]["picked"] == "13"


def test_an_unanswered_confirm_waits_the_session_moves_on_and_sync_sends_each_once(
    server: PickingFakeServer, queue_file: Path
) -> None:
    server.faults = [TIMEOUT_AFTER_COMMIT, CONNECT_ERROR]
    with client_for(server, queue_file, retries=1) as client:
        session = client.start_picking(PICK_LIST)
        session.scan("WH1-A-01")
        session.scan(P1_CASE)
        session.scan(P1_EAN)
        cut = session.confirm()
        assert (cut.status, cut.unanswered) == ("pending", True)
        assert at_line(session) == (2, "WH1-A-02", "P2", 2)
        assert session.lines()[0].waiting

        server.offline = True
        session.scan("WH1-A-02")
        session.set_quantity(2)
        behind = session.confirm()
        assert behind.status == "pending" and "waits for" in (behind.error or "")
        assert session.current() is None and not session.finished
        assert [r.post_id for r in session.waiting()] == [cut.post_id, behind.post_id]

    server.offline = False
    with client_for(server, queue_file) as restarted:
        reports = restarted.sync()
        assert [(r.post_id, r.status) for r in reports] == [
            (cut.post_id, "sent"), (behind.post_id, "sent")]
        assert restarted.sync() == []
        resumed = restarted.start_picking(PICK_LIST)
        assert resumed.finished
        stored = restarted.queue.post(behind.post_id).variables["input"]
        assert stored["basedOnVersion"] == 1

    # The first was committed before its answer was lost (then refused, then resent by sync):
    # one pick under one key, and the second only ever went out after it.
    assert server.keys_seen == [cut.idempotency_key] * 3 + [behind.idempotency_key]
    assert len(server.picks_done) == 2
    assert server.pick_lists[PICK_LIST]["state"] == "PICKED"
    # Both were made on version 1; the second went out based on what the first left.
    assert [data["basedOnVersion"] for _, data in server.mutations] == [1, 1, 1, 2]


def test_a_refused_confirm_gives_the_steps_back_and_refreshes_the_pick_list(
    server: PickingFakeServer, session: PickingSession
) -> None:
    session.scan("WH1-A-01")
    session.scan(P1_CASE)
    server.pick_lists[PICK_LIST]["version"] = 5  # changed on another handheld

    refused = session.confirm()

    assert refused.status == "conflict"
    assert [p.code for p in refused.problems] == ["STALE_VERSION"]
    assert session.pick_list.version == 5
    assert at_line(session) == (1, "WH1-A-01", "P1", 1)
    session.scan(P1_EAN)
    accepted = session.confirm()
    assert accepted.status == "sent"
    assert accepted.idempotency_key != refused.idempotency_key
    assert server.mutations[-1][1]["basedOnVersion"] == 5


def test_a_restart_resumes_the_session_online_or_offline(
    server: PickingFakeServer, queue_file: Path
) -> None:
    with client_for(server, queue_file) as client:
        session = client.start_picking(PICK_LIST)
        session.scan("WH1-A-01")
        session.scan(P1_EAN)
        session.scan(P1_EAN)
        session.short(1, "torn")

    with client_for(server, queue_file) as restarted:
        (kept,) = restarted.picking_sessions()
        resumed = restarted.start_picking(PICK_LIST)
        progress = resumed.current()
        assert resumed.id == kept.id == session.id
        assert progress is not None
        assert (progress.bin_scan, progress.picked, progress.short, progress.short_reason) == (
            "WH1-A-01", 2, 1, "torn")

    server.offline = True
    with client_for(server, queue_file, retries=0) as offline:
        cached = offline.start_picking(PICK_LIST)
        assert now(cached).picked == 2
        assert cached.undo() is not None  # the short
        assert cached.confirm().status == "pending"
        with pytest.raises(PdaError) as unknown:
            offline.start_picking("PK-2026-999999")
        assert unknown.value.code == "NETWORK"


def test_next_pick_task_takes_the_oldest_list_with_something_left_to_pick_here(
    server: PickingFakeServer, client: PdaClient
) -> None:
    server.add_pick_list(pick_list("PK-2026-000002"))

    first = client.next_pick_task("WH1")
    assert first is not None and first.number == PICK_LIST
    server.offline = True
    for bin_code in ("WH1-A-01", "WH1-A-02"):
        first.scan(bin_code)
        first.set_quantity(now(first).left)
        assert first.confirm().status == "pending"
    server.offline = False

    second = client.next_pick_task("WH1")
    assert second is not None and second.number == "PK-2026-000002"
    client.sync()
    server.pick_lists.pop("PK-2026-000002")
    server.tasks = [t for t in server.tasks if t["kind"] != "PICK"]
    assert client.next_pick_task("WH1") is None


def test_ship_goes_through_the_queue_after_the_confirms_of_its_list(
    server: PickingFakeServer, client: PdaClient, session: PickingSession
) -> None:
    for bin_code in ("WH1-A-01", "WH1-A-02"):
        session.scan(bin_code)
        session.set_quantity(now(session).left)
        if bin_code == "WH1-A-02":
            server.offline = True
        session.confirm()
    waiting = client.confirm_shipment(PICK_LIST, "SF Express", "SF123",
                                      based_on_version=session.pick_list.version)
    assert waiting.status == "pending"
    server.offline = False
    server.faults = [TIMEOUT_AFTER_COMMIT]

    reports = client.sync()

    assert [(r.operation, r.status) for r in reports] == [
        ("confirmPick", "sent"), ("confirmShipment", "sent")]
    assert reports[1].shipment_number == "SH-2026-000001"
    assert len(server.shipments) == 1
    assert server.pick_lists[PICK_LIST]["state"] == "SHIPPED"
    with pytest.raises(PdaError) as blank:
        client.confirm_shipment(PICK_LIST, "SF Express", " ")
    assert blank.value.code == "INVALID_INPUT"


def test_a_queue_file_of_the_receiving_client_is_migrated_and_keeps_its_posts(
    server: PickingFakeServer, queue_file: Path
) -> None:
    old = sqlite3.connect(queue_file)
    old.executescript(SCHEMA)
    old.execute(
        "INSERT INTO post (server, operation, document, variables, idempotency_key, status,"
        " created_at, updated_at) VALUES ('http://pda.test/graphql', 'putaway',"
        " 'mutation { putaway }', '{\"input\": {}}', 'old-key', 'pending', 'then', 'then')")
    old.commit()
    old.close()

    with client_for(server, queue_file) as client:
        assert client.pending_count() == 1
        (post,) = client.queue.posts()
        assert (post.idempotency_key, post.subject) == ("old-key", None)
        session = client.start_picking(PICK_LIST)
        assert session.scan("WH1-A-01").kind == "bin"
    with client_for(server, queue_file) as reopened:
        assert now(reopened.start_picking(PICK_LIST)).bin_scan == "WH1-A-01"
    version = sqlite3.connect(queue_file).execute("PRAGMA user_version").fetchone()[0]
    assert version == len(MIGRATIONS)
