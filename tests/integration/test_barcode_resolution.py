"""resolveBarcode on the service layer: scans matched against products, bins, orders and ASNs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from pda_client.gs1 import Symbology
from server.approvals import service as approvals
from server.approvals.flow import Mode, StepSpec
from server.auth import Role
from server.catalog import products
from server.catalog import service as warehouses
from server.catalog.drafts import BarcodeDraft, ProductChanges
from server.catalog.models import LocationType
from server.catalog.service import LocationDraft
from server.db import Database
from server.errors import DomainError
from server.purchasing import orders, portal
from server.purchasing.orders import OrderDraft
from server.purchasing.rules import LineDraft
from server.receiving.barcodes import BarcodeKind, resolve_barcode, resolve_in_session
from tests.world import World, build_world

P1_EAN = "6901234567892"
P1_GTIN = "06901234567892"
CASE_GTIN = "16901234567899"
SSCC = "106141411234567897"
GS = "\x1d"


@dataclass
class Scene:
    world: World
    order_number: str
    notice_number: str


@pytest.fixture
async def scene(db: Database) -> Scene:
    """P1 with a case barcode of 12; an approved order of P1 and P2 from S1 with an ASN whose
    P1 line rides on pallet SSCC."""
    world = await build_world(db)
    await products.update_product(db, world.admin, "P1", ProductChanges(
        add_barcodes=(BarcodeDraft(CASE_GTIN, Decimal(12)),)))
    await approvals.set_policy(db, world.admin, orders.DOCUMENT_TYPE,
                               [StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))])
    order = await orders.create_purchase_order(db, world["purchaser"], OrderDraft(
        "S1", "WH1", [LineDraft("P1", Decimal(48)), LineDraft("P2", Decimal(10))]))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    async with db.reader() as session:
        [(task, _)] = await approvals.tasks_of(session, world["manager"])
    await approvals.decide(db, world["manager"], task.id, True, None)
    notice, _ = await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, Decimal(48), lot="L7", sscc=SSCC),
                       portal.NoticeLine(2, Decimal(10), lot="Q1")]))
    return Scene(world, order.number, notice.number)


async def error_of(db: Database, scene: Scene, code: str, user: str = "warehouse") -> str:
    with pytest.raises(DomainError) as raised:
        await resolve_barcode(db, scene.world[user], code)
    return raised.value.problems[0].code


async def test_product_by_its_ean_13(db: Database, scene: Scene) -> None:
    found = await resolve_barcode(db, scene.world["warehouse"], P1_EAN)
    assert found.kind is BarcodeKind.PRODUCT
    assert found.read.symbology == Symbology.EAN_13
    assert found.product is not None and found.product.sku == "P1"
    assert found.pack_quantity == Decimal(1)


async def test_case_barcode_counts_its_pack_quantity(db: Database, scene: Scene) -> None:
    for code in [CASE_GTIN, f"]C101{CASE_GTIN}", f"]I1{CASE_GTIN}"]:
        found = await resolve_barcode(db, scene.world["warehouse"], code)
        assert found.kind is BarcodeKind.PRODUCT, code
        assert found.product is not None and found.product.sku == "P1", code
        assert found.pack_quantity == Decimal(12), code


async def test_gs1_128_label_gives_product_lot_and_expiry(db: Database, scene: Scene) -> None:
    raw = f"]C101{P1_GTIN}10LOT-42{GS}17270600"
    found = await resolve_barcode(db, scene.world["warehouse"], raw)
    assert found.kind is BarcodeKind.PRODUCT
    assert found.product is not None and found.product.sku == "P1"
    assert found.pack_quantity == Decimal(1)
    assert (found.read.raw, found.read.lot, found.read.expiry) == (raw, "LOT-42",
                                                                    date(2027, 6, 30))
    assert found.read.warnings == ()


async def test_sscc_names_the_pallet_its_notice_and_order(db: Database, scene: Scene) -> None:
    found = await resolve_barcode(db, scene.world["warehouse"], f"]C100{SSCC}")
    assert found.kind is BarcodeKind.PALLET
    assert found.read.sscc == SSCC
    assert found.shipment_notice is not None
    assert found.shipment_notice.number == scene.notice_number
    assert [line.sscc for line in found.shipment_notice.lines] == [SSCC, None]
    assert found.purchase_order is not None
    assert found.purchase_order.number == scene.order_number
    assert [line.line_no for line in found.purchase_order.lines] == [1, 2]


async def test_pallet_label_with_contents_also_names_the_product(
    db: Database, scene: Scene
) -> None:
    found = await resolve_barcode(db, scene.world["warehouse"],
                                  f"]C100{SSCC}02{CASE_GTIN}374{GS}10L7")
    assert found.kind is BarcodeKind.PALLET
    assert found.product is not None and found.product.sku == "P1"
    assert (found.pack_quantity, found.read.count) == (Decimal(12), Decimal(4))


async def test_ai_400_names_the_order(db: Database, scene: Scene) -> None:
    found = await resolve_barcode(db, scene.world["warehouse"], f"]C1400{scene.order_number}")
    assert found.kind is BarcodeKind.PURCHASE_ORDER
    assert found.read.po_number == scene.order_number
    assert found.purchase_order is not None
    assert found.purchase_order.number == scene.order_number


async def test_document_numbers_and_bin_codes(db: Database, scene: Scene) -> None:
    user = scene.world["warehouse"]
    order = await resolve_barcode(db, user, scene.order_number)
    assert order.kind is BarcodeKind.PURCHASE_ORDER
    assert order.purchase_order is not None
    assert order.purchase_order.number == scene.order_number

    notice = await resolve_barcode(db, user, scene.notice_number)
    assert notice.kind is BarcodeKind.SHIPMENT_NOTICE
    assert notice.shipment_notice is not None
    assert notice.shipment_notice.number == scene.notice_number
    assert notice.purchase_order is not None
    assert notice.purchase_order.number == scene.order_number

    location = await resolve_barcode(db, user, "WH1-A-01\r\n")
    assert location.kind is BarcodeKind.LOCATION
    assert location.location is not None and location.location.code == "WH1-A-01"
    assert location.read.raw == "WH1-A-01\r\n"


async def test_in_house_product_barcode_that_is_no_gtin(db: Database, scene: Scene) -> None:
    await products.update_product(db, scene.world.admin, "P2", ProductChanges(
        add_barcodes=(BarcodeDraft("ACME-P2-BOX", Decimal(6)),)))
    found = await resolve_barcode(db, scene.world["warehouse"], "ACME-P2-BOX")
    assert found.kind is BarcodeKind.PRODUCT
    assert found.product is not None and found.product.sku == "P2"
    assert found.pack_quantity == Decimal(6)


async def test_digit_code_of_ours_that_fails_a_check_digit_still_resolves(
    db: Database, scene: Scene
) -> None:
    await warehouses.create_location(db, scene.world.admin,
                                     LocationDraft("10000001", "WH1", LocationType.STORAGE))
    found = await resolve_barcode(db, scene.world["warehouse"], "10000001")
    assert found.kind is BarcodeKind.LOCATION
    assert found.location is not None and found.location.code == "10000001"
    assert "check digit" in found.read.warnings[0]


UNKNOWN = [
    "NOPE-1",
    "P1",  # a SKU is not a barcode
    "96385074",  # a valid EAN-8 nobody here carries
    "]C10109638507400002",  # a GTIN nobody here carries
    "]C100106141411234567880",  # an SSCC no ASN announced
    "]C1400PO-1999-000001",
]
MALFORMED = ["6901234567891", f"]C101{P1_GTIN[:-1]}3", "]C1ABC"]
INVALID = ["", "  \n", "X" * 201]


async def test_unknown_malformed_and_invalid_scans(db: Database, scene: Scene) -> None:
    for codes, expected in [(UNKNOWN, "UNKNOWN_BARCODE"), (MALFORMED, "MALFORMED_BARCODE"),
                            (INVALID, "INVALID_INPUT")]:
        for code in codes:
            assert await error_of(db, scene, code) == expected, code


async def test_supplier_users_may_not_resolve(db: Database, scene: Scene) -> None:
    assert await error_of(db, scene, P1_EAN, user="s1") == "FORBIDDEN"


async def test_other_services_resolve_inside_their_transaction(
    db: Database, scene: Scene
) -> None:
    async with db.transaction() as session:
        found = await resolve_in_session(session, f"]d201{P1_GTIN}21SN-9")
        assert found.product is not None and found.product.sku == "P1"
        assert found.read.serial == "SN-9"
        with pytest.raises(DomainError) as raised:
            await resolve_in_session(session, "NOPE", field="lines[0].barcode")
    assert (raised.value.problems[0].code, raised.value.problems[0].field) == (
        "UNKNOWN_BARCODE", "lines[0].barcode")
