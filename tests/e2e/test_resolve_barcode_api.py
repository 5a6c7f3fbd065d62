"""resolveBarcode over HTTP: fields for what a scan names, userErrors (never GraphQL errors)
for what it cannot be."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.db import Database
from server.purchasing import orders, portal
from server.purchasing.orders import OrderDraft
from server.purchasing.rules import LineDraft
from tests.e2e.conftest import Api, token_for
from tests.world import World, build_world

SSCC = "106141411234567897"
P1_GTIN = "06901234567892"
LABEL = f"]C101{P1_GTIN}10LOT-1\x1d17270600"
RESOLVE = """query($code: String!) { resolveBarcode(code: $code) {
  scan { raw kind symbology gtin lot expiry serial sscc poNumber count netWeightKg packQuantity
         product { sku } location { code type } purchaseOrder { number state }
         shipmentNotice { number lines { lineNo quantity lot sscc } } warnings }
  userErrors { code field message } } }"""


async def resolve(api: Api, code: str, token: str | None) -> dict[str, Any]:
    body = await api(RESOLVE, {"code": code}, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["resolveBarcode"]
    return payload


async def shipped_pallet(db: Database, world: World) -> tuple[str, str]:
    """An approved order of P2 and P1 from S1, and an ASN putting its line 2 on pallet SSCC."""
    await approvals.set_policy(db, world.admin, orders.DOCUMENT_TYPE,
                               [StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))])
    order = await orders.create_purchase_order(db, world["purchaser"], OrderDraft(
        "S1", "WH1", [LineDraft("P2", Decimal(5)), LineDraft("P1", Decimal(24))]))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["manager"])
    await approvals.decide(db, world["manager"], task.id, True, None)
    notice, _ = await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(2, Decimal(24), lot="L7", sscc=SSCC)]))
    return order.number, notice.number


async def test_scans_resolve_to_what_they_name(api: Api, db: Database) -> None:
    world = await build_world(db)
    token = await token_for(db, world["warehouse"])
    order_number, notice_number = await shipped_pallet(db, world)

    label = await resolve(api, LABEL, token)
    assert label["userErrors"] == []
    scan = label["scan"]
    assert (scan["kind"], scan["symbology"], scan["gtin"]) == ("PRODUCT", "GS1_128", P1_GTIN)
    assert (scan["lot"], scan["expiry"], scan["product"]) == ("LOT-1", "2027-06-30",
                                                              {"sku": "P1"})
    assert scan["raw"] == LABEL
    assert Decimal(scan["packQuantity"]) == 1
    assert scan["warnings"] == []

    pallet = (await resolve(api, f"]C100{SSCC}", token))["scan"]
    assert (pallet["kind"], pallet["sscc"]) == ("PALLET", SSCC)
    assert pallet["purchaseOrder"] == {"number": order_number, "state": "SENT"}
    notice = pallet["shipmentNotice"]
    assert notice["number"] == notice_number
    assert [(line["lineNo"], line["lot"], line["sscc"]) for line in notice["lines"]] == [
        (2, "L7", SSCC)]

    bin_scan = (await resolve(api, "WH1-A-01", token))["scan"]
    assert (bin_scan["kind"], bin_scan["symbology"]) == ("LOCATION", "PLAIN")
    assert bin_scan["location"] == {"code": "WH1-A-01", "type": "STORAGE"}
    assert bin_scan["product"] is None

    order = (await resolve(api, f"]Q3400{order_number}", token))["scan"]
    assert (order["kind"], order["poNumber"]) == ("PURCHASE_ORDER", order_number)


async def test_dropped_separator_is_flagged_in_warnings(api: Api, db: Database) -> None:
    world = await build_world(db)
    scan = (await resolve(api, f"]C101{P1_GTIN}10ABC12317271231",
                          await token_for(db, world["warehouse"])))["scan"]
    assert scan["lot"] == "ABC12317271231"
    assert len(scan["warnings"]) == 1 and "(17)271231" in scan["warnings"][0]


async def test_what_cannot_be_resolved_answers_user_errors(api: Api, db: Database) -> None:
    world = await build_world(db)
    token = await token_for(db, world["warehouse"])
    for code, expected in [("NO-SUCH-THING", "UNKNOWN_BARCODE"),
                           ("6901234567891", "MALFORMED_BARCODE"),
                           (f"]C101{P1_GTIN[:-1]}1", "MALFORMED_BARCODE"),
                           ("", "INVALID_INPUT"),
                           ("9" * 500, "INVALID_INPUT")]:
        payload = await resolve(api, code, token)
        assert payload["scan"] is None, code
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(expected, "code")]
    supplier = await resolve(api, "6901234567892", await token_for(db, world["s1"]))
    assert [e["code"] for e in supplier["userErrors"]] == ["FORBIDDEN"]
    anonymous = await resolve(api, "6901234567892", None)
    assert [e["code"] for e in anonymous["userErrors"]] == ["UNAUTHENTICATED"]
