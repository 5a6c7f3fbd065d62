"""Documents printed from the real data on both backends: each default template renders its
document to a PDF whose text holds the number, the lines and the labels in Chinese or English,
whose barcode decodes back to the number; a supplier prints only its own PO and ASN; every print
is recorded with its SHA-256; shipping confirmation records the delivery note and label, and a
template that fails leaves the shipment confirmed with nothing recorded and a warning."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from zxingcpp import BarcodeFormat

from server.catalog import customers
from server.catalog.drafts import CustomerDraft
from server.db import Database
from server.documents.models import DocumentKind, PrintedDocument
from server.documents.service import document_pdf
from server.documents.shipping import confirm_shipment_with_documents
from server.documents.templates import TemplateDraft, save_print_template
from server.errors import DomainError, Forbidden, NotFound
from server.purchasing import portal
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import InspectionResult
from server.sales.models import Shipment
from server.sales.picking import release_picking
from server.sales.shipping import ShipmentRequest
from tests.integration.test_shipping import pick_all, shipment_request
from tests.picking_setup import put_stock, sales_order
from tests.receiving_setup import approved_order, receive, receiving_world
from tests.unit.test_document_barcodes import decoded
from tests.world import World

SSCC = "106141411234567897"


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def code128s(pdf: bytes) -> set[str]:
    return {text for page in decoded(pdf) for fmt, text in page if fmt == BarcodeFormat.Code128}


@dataclass(frozen=True, slots=True)
class Inbound:
    world: World
    order: str
    notice: str
    receipt: str


@dataclass(frozen=True, slots=True)
class Outbound:
    world: World
    order: str
    pick_list: str
    shipment: str


@pytest.fixture
async def inbound(db: Database) -> Inbound:
    """An order of P1 and P2 from S1 approved by a manager, announced by an ASN (P1 on a pallet),
    received, and P2 inspected: 4 accepted, 1 rejected."""
    world = await receiving_world(db)
    order = await approved_order(db, world, {"P1": 12, "P2": 5})
    notice, _ = await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, Decimal(12), lot="L7", sscc=SSCC),
                       portal.NoticeLine(2, Decimal(5), lot="Q1")], carrier="SF"))
    received = await receive(db, world, notice.number, [("P1", 12, "L7"), ("P2", 5, "Q1")])
    for result, accepted, rejected, notes in ((InspectionResult.PASS, 4, 0, ""),
                                              (InspectionResult.FAIL, 0, 1, "one box crushed")):
        await record_inspection(db, world["qc"], InspectionRequest(
            task_id=received.task_of(2).id, result=result, idempotency_key=uuid.uuid4().hex,
            accepted_quantity=Decimal(accepted), rejected_quantity=Decimal(rejected),
            notes=notes))
    return Inbound(world, order.number, notice.number, received.number)


@pytest.fixture
async def outbound(db: Database) -> Outbound:
    """The inbound world's master data plus customer C1: an order of P1 and P3 picked from two
    bins and shipped, its documents recorded."""
    world = await receiving_world(db)
    await customers.create_customer(db, world.admin, CustomerDraft(
        "C1", "华东客户 One", region="East", salesperson="sales"))
    await put_stock(db, world, "P1", "WH1-A-02", 10, "100")
    await put_stock(db, world, "P3", "WH1-A-01", 5, "40")
    order = await sales_order(db, world, {"P1": 4, "P3": 2}, unit_price="300")
    view = await release_picking(db, world["warehouse"], [order], uuid.uuid4().hex)
    pick_list = view.pick_list.number
    await pick_all(db, world, view)
    shipped = await confirm_shipment_with_documents(db, world["warehouse"],
                                                    shipment_request(pick_list))
    assert shipped.warning is None
    return Outbound(world, order, pick_list, shipped.view.shipment.number)


async def test_purchase_order_with_its_approval_trail(
    db: Database, inbound: Inbound
) -> None:
    buyer = inbound.world["purchaser"]
    printed = await document_pdf(db, buyer, DocumentKind.PURCHASE_ORDER, inbound.order)
    text = text_of(printed.content)
    assert inbound.order in text
    for expected in ("采购订单", "审批记录", "供应商", "Supplier S1", "P1", "Product P2",
                     "1200.00", "manager", "同意"):
        assert expected in text, expected
    assert printed.filename == f"{inbound.order}-purchase-order.pdf"
    assert inbound.order in code128s(printed.content)
    english = text_of((await document_pdf(db, buyer, DocumentKind.PURCHASE_ORDER, inbound.order,
                                          language="en")).content)
    for expected in ("Purchase Order", "Approval trail", "Unit price", "approved", "P2"):
        assert expected in english, expected


async def test_asn_label_and_receipt_with_qc(
    db: Database, inbound: Inbound
) -> None:
    warehouse = inbound.world["warehouse"]
    label = await document_pdf(db, warehouse, DocumentKind.ASN_LABEL, inbound.notice)
    text = text_of(label.content)
    for expected in (inbound.notice, inbound.order, "发货通知标签", "托盘码 SSCC", SSCC, "L7"):
        assert expected in text, expected
    assert {inbound.notice, "00" + SSCC} <= code128s(label.content)
    receipt = await document_pdf(db, warehouse, DocumentKind.RECEIPT, inbound.receipt,
                                 language="en")
    text = text_of(receipt.content)
    for expected in (inbound.receipt, inbound.order, "Goods Receipt and QC Report",
                     "Quality inspections", "fail", "one box crushed", "Product P1", "Q1"):
        assert expected in text, expected
    chinese = text_of((await document_pdf(db, warehouse, DocumentKind.RECEIPT, inbound.receipt,
                                          language="zh")).content)
    for expected in ("收货质检单", "质检记录", "不合格", "检验员"):
        assert expected in chinese, expected


async def test_supplier_prints_only_its_own_order_and_notice(
    db: Database, inbound: Inbound
) -> None:
    own, other = inbound.world["s1"], inbound.world["s2"]
    order = text_of((await document_pdf(db, own, DocumentKind.PURCHASE_ORDER,
                                        inbound.order)).content)
    assert inbound.order in order
    assert "manager" not in order  # the approval trail is internal
    assert inbound.notice in text_of((await document_pdf(db, own, DocumentKind.ASN_LABEL,
                                                         inbound.notice)).content)
    for kind, number in ((DocumentKind.PURCHASE_ORDER, inbound.order),
                         (DocumentKind.ASN_LABEL, inbound.notice)):
        with pytest.raises(NotFound):
            await document_pdf(db, other, kind, number)
    with pytest.raises(Forbidden):
        await document_pdf(db, own, DocumentKind.RECEIPT, inbound.receipt)


async def test_every_print_is_recorded_with_its_hash(
    db: Database, inbound: Inbound
) -> None:
    printed = await document_pdf(db, inbound.world["purchaser"], DocumentKind.PURCHASE_ORDER,
                                 inbound.order)
    async with db.reader() as session:
        [record] = await session.scalars(select(PrintedDocument).where(
            PrintedDocument.document_number == inbound.order))
    assert record.sha256 == hashlib.sha256(printed.content).hexdigest() == printed.sha256
    assert record.kind == "purchase_order" and record.shipment_id is None
    assert record.produced_by_id == inbound.world["purchaser"].user_id
    with pytest.raises(NotFound):
        await document_pdf(db, inbound.world["purchaser"], DocumentKind.PURCHASE_ORDER, "PO-0")
    with pytest.raises(DomainError):
        await document_pdf(db, inbound.world["purchaser"], "contract", inbound.order)


async def test_pick_list_in_walking_order(
    db: Database, outbound: Outbound
) -> None:
    printed = await document_pdf(db, outbound.world["warehouse"], DocumentKind.PICK_LIST,
                                 outbound.pick_list)
    text = text_of(printed.content)
    for expected in (outbound.pick_list, outbound.order, "拣货单", "库位", "应拣数量",
                     "Product P1", "Product P3"):
        assert expected in text, expected
    assert text.index("WH1-A-01") < text.index("WH1-A-02")  # bins in code order
    assert text.index("Product P3") < text.index("Product P1")
    assert outbound.pick_list in code128s(printed.content)


async def test_delivery_note_label_and_invoice_of_a_shipment(
    db: Database, outbound: Outbound
) -> None:
    staff = outbound.world["sales"]
    note = text_of((await document_pdf(db, staff, DocumentKind.DELIVERY_NOTE,
                                       outbound.shipment)).content)
    for expected in (outbound.shipment, outbound.order, "出库单", "华东客户 One", "SF1234567890",
                     "Product P1", "Product P3", "客户签收"):
        assert expected in note, expected
    label = await document_pdf(db, staff, DocumentKind.SHIPPING_LABEL, outbound.shipment,
                               language="en")
    assert "Ship to" in text_of(label.content)
    assert outbound.order in code128s(label.content)
    assert any(fmt == BarcodeFormat.QRCode and outbound.shipment in text
               for page in decoded(label.content) for fmt, text in page)
    page = PdfReader(io.BytesIO(label.content)).pages[0].mediabox
    assert (round(float(page.width) / 72 * 25.4), round(float(page.height) / 72 * 25.4)) == \
        (100, 150)
    invoice = text_of((await document_pdf(db, staff, DocumentKind.INVOICE,
                                          outbound.shipment)).content)
    # 4 × 300 + 2 × 300 = 1800.00 net, 13 % VAT 234.00, 2034.00 in all
    for expected in ("销售发票", "增值税", "1800.00", "234.00", "2034.00", "价税合计"):
        assert expected in invoice, expected


async def test_shipping_records_the_delivery_note_and_label(
    db: Database, outbound: Outbound
) -> None:
    async with db.reader() as session:
        shipment = await session.scalar(select(Shipment).where(
            Shipment.number == outbound.shipment))
        assert shipment is not None
        records = list(await session.scalars(select(PrintedDocument).where(
            PrintedDocument.shipment_id == shipment.id).order_by(PrintedDocument.kind)))
    assert [(r.kind, r.document_number) for r in records] == [
        ("delivery_note", outbound.shipment), ("shipping_label", outbound.shipment)]
    assert all(len(r.sha256) == 64 for r in records)


async def test_a_failing_template_does_not_undo_the_shipment(db: Database) -> None:
    world = await receiving_world(db)
    await customers.create_customer(db, world.admin, CustomerDraft(
        "C1", "Customer One", region="East", salesperson="sales"))
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    order = await sales_order(db, world, {"P1": 3})
    await save_print_template(db, world.admin, TemplateDraft(
        "shipping_label", "broken label", "<p>{{ document.no_such_key }}</p>", is_default=True))
    view = await release_picking(db, world["warehouse"], [order], uuid.uuid4().hex)
    await pick_all(db, world, view)
    request = shipment_request(view.pick_list.number)
    shipped = await confirm_shipment_with_documents(db, world["warehouse"], request)
    assert shipped.view.shipment.number.startswith("SH-")
    assert shipped.documents == []
    assert shipped.warning is not None and "shipped" in shipped.warning
    again = await confirm_shipment_with_documents(db, world["warehouse"], ShipmentRequest(
        request.pick_list_number, request.carrier, request.tracking_number,
        request.idempotency_key))
    assert again.view.shipment.number == shipped.view.shipment.number
    async with db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(PrintedDocument)) == 0
