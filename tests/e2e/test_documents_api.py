"""Documents over HTTP: GET /documents/{kind}/{number}.pdf with the GraphQL bearer token (401,
403, 404, 400, 422 with a JSON error, 200 with a PDF), the documentUrl fields that point there, and
confirmShipment answering the delivery note and label it recorded."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from server.catalog import customers
from server.catalog.drafts import CustomerDraft
from server.db import Database
from server.documents.templates import TemplateDraft, save_print_template
from server.purchasing import portal
from server.sales.picking import release_picking
from tests.e2e.conftest import Api, token_for
from tests.integration.test_shipping import pick_all
from tests.picking_setup import put_stock, sales_order
from tests.receiving_setup import approved_order, receive, receiving_world
from tests.world import World

USERS = ("purchaser", "warehouse", "sales", "s1", "s2")
DOCUMENT_URLS = """query($order: String!, $receipt: String!, $pickList: String!) {
  purchaseOrder(number: $order) { documentUrl shipmentNotices { number documentUrl } }
  receipt(number: $receipt) { documentUrl }
  pickList(number: $pickList) { documentUrl } }"""
SHIP = """mutation($input: ConfirmShipmentInput!) { confirmShipment(input: $input) {
  shipment { number documentUrl labelUrl invoiceUrl
             documents { kind templateVersion sha256 url producedAt } }
  documentWarning userErrors { code message } } }"""


@dataclass(frozen=True, slots=True)
class Scene:
    world: World
    tokens: dict[str, str]
    order: str
    notice: str
    receipt: str
    pick_list: str


@pytest.fixture
async def scene(db: Database) -> Scene:
    """An approved PO from S1 with its ASN, received; a sales order of C1 picked, not shipped."""
    world = await receiving_world(db)
    order = await approved_order(db, world, {"P1": 12})
    notice, _ = await portal.create_shipment_notice(db, world["s1"], portal.NoticeDraft(
        order.number, [portal.NoticeLine(1, Decimal(12), lot="L7")]))
    received = await receive(db, world, order.number, [("P1", 12, "L7")])
    await customers.create_customer(db, world.admin, CustomerDraft(
        "C1", "Customer One", region="East", salesperson="sales"))
    await put_stock(db, world, "P3", "WH1-A-01", 5, "40")
    sold = await sales_order(db, world, {"P3": 2})
    view = await release_picking(db, world["warehouse"], [sold], uuid.uuid4().hex)
    await pick_all(db, world, view)
    tokens = {name: await token_for(db, world[name]) for name in USERS}
    return Scene(world, tokens, order.number, notice.number, received.number,
                 view.pick_list.number)


async def get(api: Api, url: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await api.http.get(url, headers=headers)


def error_code(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    code: str = response.json()["error"]["code"]
    return code


async def test_the_pdf_route_checks_the_token_and_who_may_see_what(
    api: Api, db: Database, scene: Scene
) -> None:
    url = f"/documents/purchase_order/{scene.order}.pdf"
    assert (await get(api, url)).status_code == 401
    assert error_code(await get(api, url, "not-a-token")) == "UNAUTHENTICATED"
    response = await get(api, url, scene.tokens["purchaser"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == \
        f'inline; filename="{scene.order}-purchase-order.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert scene.order in text and "采购订单" in text
    english = await get(api, f"{url}?lang=en", scene.tokens["purchaser"])
    assert "Purchase Order" in PdfReader(io.BytesIO(english.content)).pages[0].extract_text()
    assert (await get(api, url, scene.tokens["s1"])).status_code == 200
    assert (await get(api, f"/documents/asn_label/{scene.notice}.pdf",
                      scene.tokens["s1"])).status_code == 200
    for refused in (url, f"/documents/asn_label/{scene.notice}.pdf"):
        assert error_code(await get(api, refused, scene.tokens["s2"])) == "NOT_FOUND"
    response = await get(api, f"/documents/receipt/{scene.receipt}.pdf", scene.tokens["s1"])
    assert (response.status_code, error_code(response)) == (403, "FORBIDDEN")
    for missing in ("/documents/purchase_order/PO-1999-000001.pdf",
                    f"/documents/contract/{scene.order}.pdf",
                    f"{url}?template=no-such-template"):
        response = await get(api, missing, scene.tokens["purchaser"])
        assert (response.status_code, error_code(response)) == (404, "NOT_FOUND"), missing
    response = await get(api, f"{url}?lang=fr", scene.tokens["purchaser"])
    assert (response.status_code, error_code(response)) == (400, "INVALID_INPUT")


async def test_a_failing_template_answers_422_with_a_json_error(
    api: Api, db: Database, scene: Scene
) -> None:
    await save_print_template(db, scene.world.admin, TemplateDraft(
        "purchase_order", "broken", "<p>{{ document.nothing_here }}</p>"))
    response = await get(api, f"/documents/purchase_order/{scene.order}.pdf?template=broken",
                         scene.tokens["purchaser"])
    assert (response.status_code, error_code(response)) == (422, "TEMPLATE_RENDER_FAILED")
    assert "nothing_here" in response.json()["error"]["message"]


async def test_document_urls_and_the_documents_a_shipment_recorded(
    api: Api, db: Database, scene: Scene
) -> None:
    body = await api(DOCUMENT_URLS, {"order": scene.order, "receipt": scene.receipt,
                                     "pickList": scene.pick_list}, token=scene.tokens["warehouse"])
    assert "errors" not in body, body
    data = body["data"]
    assert data["purchaseOrder"] == {
        "documentUrl": f"/documents/purchase_order/{scene.order}.pdf",
        "shipmentNotices": [{"number": scene.notice,
                             "documentUrl": f"/documents/asn_label/{scene.notice}.pdf"}]}
    assert data["receipt"]["documentUrl"] == f"/documents/receipt/{scene.receipt}.pdf"
    assert data["pickList"]["documentUrl"] == f"/documents/pick_list/{scene.pick_list}.pdf"
    for url in (data["receipt"]["documentUrl"], data["pickList"]["documentUrl"]):
        assert (await get(api, url, scene.tokens["warehouse"])).status_code == 200

    body = await api(SHIP, {"input": {"pickListNumber": scene.pick_list, "carrier": "SF",
                                      "trackingNumber": "SF1", "idempotencyKey": uuid.uuid4().hex}},
                     token=scene.tokens["warehouse"])
    assert "errors" not in body, body
    payload = body["data"]["confirmShipment"]
    assert (payload["userErrors"], payload["documentWarning"]) == ([], None)
    shipment = payload["shipment"]
    number = shipment["number"]
    assert (shipment["documentUrl"], shipment["labelUrl"], shipment["invoiceUrl"]) == (
        f"/documents/delivery_note/{number}.pdf", f"/documents/shipping_label/{number}.pdf",
        f"/documents/invoice/{number}.pdf")
    documents = shipment["documents"]
    assert [(d["kind"], d["templateVersion"], d["url"]) for d in documents] == [
        ("DELIVERY_NOTE", 1, shipment["documentUrl"]), ("SHIPPING_LABEL", 1, shipment["labelUrl"])]
    assert all(len(d["sha256"]) == 64 for d in documents)
    for url in (shipment["documentUrl"], shipment["labelUrl"], shipment["invoiceUrl"]):
        response = await get(api, url, scene.tokens["sales"])
        assert (response.status_code, response.headers["content-type"]) == (200, "application/pdf")
