"""Issue #8, done when: every default template renders a real document from the demo data (as
`caixiao demo` loads it) to a PDF whose text holds the number, the lines and the Chinese labels,
and whose Code 128 decodes back to the number. The demo's PO and ASN are walked on through the
real use cases: received, the QC product inspected, one product sold, picked and shipped."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from zxingcpp import BarcodeFormat

from server import auth
from server.catalog.models import Product
from server.db import Database
from server.demo import DEMO_PASSWORD, load_demo
from server.demo_data import USERS
from server.demo_documents import WAREHOUSE, load_demo_documents
from server.documents.models import DocumentKind
from server.documents.service import document_pdf
from server.documents.shipping import confirm_shipment_with_documents
from server.purchasing.orders import load_order
from server.receiving.inspection import InspectionRequest, record_inspection
from server.receiving.models import InspectionResult, TaskKind, WarehouseTask
from server.receiving.receipt_rules import ReceiptRequest, ReceiveLine
from server.receiving.receipts import receive_goods
from server.sales.orders import create_sales_order
from server.sales.picking import release_picking
from server.sales.rules import SalesLineDraft, SalesOrderDraft
from tests.integration.test_documents import code128s, text_of
from tests.integration.test_shipping import pick_all, shipment_request
from tests.unit.test_document_barcodes import decoded
from tests.world import World

CUSTOMER = "C001"  # 上海联家超市有限公司, East: sales1's
SOLD = Decimal(10)


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    name: str
    lot: str


@dataclass(frozen=True, slots=True)
class DemoFlow:
    """The demo's documents walked from the PO to the shipment, by their numbers."""

    people: World
    order: str
    notice: str
    sscc: str
    receipt: str
    inbound: list[Line]  # the PO's lines, the QC product among them
    sales_order: str
    pick_list: str
    shipment: str
    sold: Line
    sold_price: Decimal


def flat_text(pdf: bytes) -> str:
    """The PDF's text with every run of whitespace one space: a long name wraps in a narrow
    table cell, and the line break is layout, not content."""
    return " ".join(text_of(pdf).split())


async def demo_people(db: Database) -> World:
    """Every demo user, signed in with the demo password."""
    principals = {user.username: (await auth.login(db, user.username, DEMO_PASSWORD,
                                                   timedelta(hours=1))).principal
                  for user in USERS}
    return World(admin=principals["admin"], users=principals)


async def walk_the_demo(db: Database) -> DemoFlow:
    """The demo as `caixiao demo` loads it, then the dock scans each ASN line by SKU (the lots
    come from the ASN), QC passes the inspected product, and sales1 sells ten of another to
    C001, picked and shipped with its delivery note and label."""
    await load_demo(db, 50)
    documents = await load_demo_documents(db)
    people = await demo_people(db)
    async with db.reader() as session:
        order = await load_order(session, documents.order_number)
        products = {product.id: product for product in await session.scalars(select(Product)
                    .where(Product.id.in_([line.product_id for line in order.lines])))}
    ordered = [(products[line.product_id], line.quantity) for line in order.lines]
    inspected = [product for product, _ in ordered if product.qc_required]
    assert len(inspected) == 1, "the demo PO carries one QC product"

    received = await receive_goods(db, people["warehouse"], ReceiptRequest(
        document=documents.notice_number, warehouse_code=WAREHOUSE,
        idempotency_key=uuid.uuid4().hex,
        lines=[ReceiveLine(quantity, sku=product.sku) for product, quantity in ordered]))
    lots = {line.product_id: line.lot for line in received.receipt.lines}
    async with db.reader() as session:
        qc_task = await session.scalar(select(WarehouseTask).where(
            WarehouseTask.document_number == received.receipt.number,
            WarehouseTask.kind == TaskKind.QC.value))
    assert qc_task is not None and qc_task.product_id == inspected[0].id
    await record_inspection(db, people["qc"], InspectionRequest(
        task_id=qc_task.id, result=InspectionResult.PASS, idempotency_key=uuid.uuid4().hex,
        accepted_quantity=qc_task.quantity))

    sold = next(product for product, _ in ordered if not product.qc_required)
    outcome = await create_sales_order(db, people["sales1"], SalesOrderDraft(
        CUSTOMER, WAREHOUSE, [SalesLineDraft(sold.sku, SOLD)]))
    assert outcome.shortages == []
    sales_order = outcome.view.order.number
    view = await release_picking(db, people["warehouse"], [sales_order], uuid.uuid4().hex)
    await pick_all(db, people, view)
    shipped = await confirm_shipment_with_documents(db, people["warehouse"],
                                                    shipment_request(view.pick_list.number))
    assert shipped.warning is None
    assert [document.kind for document in shipped.documents] == ["delivery_note",
                                                                 "shipping_label"]
    return DemoFlow(
        people, documents.order_number, documents.notice_number, documents.sscc,
        received.receipt.number,
        [Line(product.sku, product.name, lots[product.id]) for product, _ in ordered],
        sales_order, view.pick_list.number, shipped.view.shipment.number,
        Line(sold.sku, sold.name, lots[sold.id]), sold.list_price)


async def test_every_default_document_renders_from_the_demo(db: Database) -> None:
    flow = await walk_the_demo(db)
    people = flow.people
    inbound = [text for line in flow.inbound for text in (line.sku, line.name)]
    outbound = [flow.sold.sku, flow.sold.name, flow.sold.lot]
    net = SOLD * flow.sold_price
    vat = (net * Decimal("0.13")).quantize(Decimal("0.01"))
    expectations: list[tuple[str, DocumentKind, str, list[str], set[str]]] = [
        ("purchaser", DocumentKind.PURCHASE_ORDER, flow.order,
         ["采购订单", "供应商", "收货仓库", "物料编码", "品名", "单价", "合计", "审批记录",
          "华鑫食品有限公司", *inbound],
         {flow.order}),
        ("warehouse", DocumentKind.ASN_LABEL, flow.notice,
         ["发货通知标签", "托盘码 SSCC", "批号", "有效期至", "顺丰速运", "SF1234567890",
          flow.order, flow.sscc, *inbound, *(line.lot for line in flow.inbound)],
         {flow.notice, "00" + flow.sscc}),
        ("warehouse", DocumentKind.RECEIPT, flow.receipt,
         ["收货质检单", "收货数量", "质检记录", "合格", "检验员", "刘洋（质检员）", flow.order,
          flow.notice, *inbound, *(line.lot for line in flow.inbound)],
         {flow.receipt}),
        ("warehouse", DocumentKind.PICK_LIST, flow.pick_list,
         ["拣货单", "库位", "应拣数量", flow.sales_order, *outbound],
         {flow.pick_list}),
        ("sales1", DocumentKind.DELIVERY_NOTE, flow.shipment,
         ["出库单", "收货客户", "客户签收", "上海联家超市有限公司", "SF1234567890",
          flow.sales_order, *outbound],
         {flow.shipment}),
        ("sales1", DocumentKind.SHIPPING_LABEL, flow.shipment,
         ["发货标签", "收货方", "发货方", "运单号", "件数", "上海联家超市有限公司",
          flow.sales_order],
         {flow.sales_order}),
        ("sales1", DocumentKind.INVOICE, flow.shipment,
         ["销售发票", "购买方", "增值税", "价税合计", "上海联家超市有限公司", flow.sales_order,
          flow.sold.sku, flow.sold.name, f"{net:.2f}", f"{vat:.2f}", f"{net + vat:.2f}"],
         {flow.shipment}),
    ]
    for user, kind, number, texts, barcodes in expectations:
        printed = await document_pdf(db, people[user], kind, number, language="zh")
        text = flat_text(printed.content)
        missing = [expected for expected in (number, *texts) if expected not in text]
        assert missing == [], f"{kind.value} {number} lacks {missing}"
        assert barcodes <= code128s(printed.content), kind.value
        if kind is DocumentKind.SHIPPING_LABEL:
            assert any(fmt == BarcodeFormat.QRCode and number in found
                       for page in decoded(printed.content) for fmt, found in page)

    english = flat_text((await document_pdf(db, people["purchaser"], DocumentKind.PURCHASE_ORDER,
                                          flow.order, language="en")).content)
    for expected in ("Purchase Order", "Supplier", "Unit price", flow.order, *inbound):
        assert expected in english, expected
