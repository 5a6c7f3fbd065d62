"""Every root mutation has a rule saying who may call it; everyone else is refused with a typed
error and nothing changes. A supplier reaching for another supplier's orders, notices, invoices
and PDFs gets nothing of theirs back and changes nothing.

MUTATION_RULES must name every mutation of the live schema: adding one without a rule fails
the first test, so nobody forgets to decide who may call it."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import graphql
import pytest

from schema import export_sdl
from server.db import Database
from tests.e2e.conftest import Api
from tests.e2e.hostile_world import (
    ROLE_USERS,
    Documents,
    hostile_world,
    role_tokens,
    row_counts,
    server_failures,
    user_error_codes,
)

SCHEMA = graphql.build_schema(export_sdl())
EVERYONE = frozenset(ROLE_USERS)
SIGNED_IN = EVERYONE - {"anonymous"}
PURCHASING = frozenset({"purchaser", "purchase_manager"})
PORTAL = PURCHASING | {"supplier"}
REFUSALS = {"anonymous": "UNAUTHENTICATED"}
# Input strings naming a world object ({s2_order}) are filled in per run; {key} is a fresh
# idempotency key for every attempt, so one refused attempt cannot shadow the next.
LINE_S2 = [{"lineNo": 1, "quantity": "1", "deliveryDate": "2027-01-15"}]


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[str]
    input: dict[str, Any] | None


def rule(*roles: str, **fields: Any) -> Rule:
    return Rule(frozenset(roles), fields or None)


MUTATION_RULES: dict[str, Rule] = {
    "login": Rule(EVERYONE, {"username": "admin", "password": "not-the-password"}),
    "decideApproval": Rule(SIGNED_IN, {"taskId": "1", "approve": True}),
    "createWarehouse": rule("warehouse", code="WH9", name="Overflow"),
    "updateWarehouse": rule("warehouse", code="WH1", name="Renamed"),
    "createLocation": rule("warehouse", code="WH1-Z-01", warehouseCode="WH1", type="STORAGE"),
    "updateLocation": rule("warehouse", code="WH1-A-02", active=False),
    "createProduct": rule(*PURCHASING, sku="P9", name="Product P9"),
    "updateProduct": rule(*PURCHASING, sku="P3", name="Renamed P3"),
    "createSupplier": rule(*PURCHASING, code="S9", name="Supplier S9"),
    "updateSupplier": rule(*PURCHASING, code="S2", name="Renamed S2"),
    "setSupplierItem": rule(*PURCHASING, supplierCode="S2", sku="P3", price="41"),
    "createCustomer": rule("sales", code="C9", name="Customer C9"),
    "updateCustomer": rule("sales", code="C1", name="Renamed C1"),
    "adjustStock": rule("warehouse", warehouseCode="WH1", sku="P1", locationCode="WH1-A-01",
                        quantity="1", reason="recount", idempotencyKey="{key}"),
    "moveStock": rule("warehouse", sku="P1", fromLocationCode="WH1-A-01",
                      toLocationCode="WH1-A-02", quantity="1", idempotencyKey="{key}"),
    "createPurchaseOrder": rule(*PURCHASING, supplierCode="S2", warehouseCode="WH1",
                                lines=[{"sku": "P3", "quantity": "1"}]),
    "updatePurchaseOrder": rule(*PURCHASING, number="{s2_order}", notes="call first"),
    "submitPurchaseOrder": rule(*PURCHASING, number="{s1_order}"),
    "cancelPurchaseOrder": rule(*PURCHASING, number="{s2_order}", reason="not needed"),
    "closePurchaseOrderLine": rule(*PURCHASING, number="{s2_order}", lineNo=1, reason="short"),
    "confirmPurchaseOrder": rule(*PORTAL, number="{s2_order}", lines=LINE_S2),
    "declinePurchaseOrder": rule(*PORTAL, number="{s2_order}", reason="cannot make it"),
    "createShipmentNotice": rule(*PORTAL, purchaseOrderNumber="{s2_order}",
                                 lines=[{"lineNo": 1, "quantity": "1"}]),
    "setApprovalPolicy": rule(documentType="purchase_order", steps=[
        {"name": "manager", "mode": "ANY", "roles": ["PURCHASE_MANAGER"]}]),
    "receiveGoods": rule("warehouse", document="{s2_order}", warehouseCode="WH1",
                         idempotencyKey="{key}", lines=[{"sku": "P3", "quantity": "1"}]),
    "recordInspection": rule("qc", taskId="1", result="PASS", idempotencyKey="{key}"),
    "putaway": rule("warehouse", sku="P1", fromLocationCode="WH1-A-01",
                    toLocationBarcode="WH1-A-02", quantity="1", idempotencyKey="{key}"),
    "createSalesOrder": rule("sales", customerCode="C1", warehouseCode="WH1",
                             lines=[{"sku": "P1", "quantity": "1"}]),
    "updateSalesOrder": rule("sales", number="{sales_order}", basedOnVersion=1, notes="rush"),
    "cancelSalesOrder": rule("sales", number="{sales_order}", reason="customer changed mind"),
    "releasePicking": rule("warehouse", "sales", salesOrderNumbers=["{sales_order}"],
                           idempotencyKey="{key}"),
    "confirmPick": rule("warehouse", pickListNumber="PL-000001", lineNo=1,
                        binBarcode="WH1-A-01", quantity="1", idempotencyKey="{key}"),
    "confirmShipment": rule("warehouse", pickListNumber="PL-000001", carrier="SF",
                            trackingNumber="SF1", idempotencyKey="{key}"),
    "setReplenishmentRule": rule("purchase_manager", name="boost", condition="true", actions=[
        {"target": "SAFETY_STOCK", "operation": "ADD", "value": "1"}]),
    "deleteReplenishmentRule": rule("purchase_manager", name="boost"),
    "setForecasts": rule("sales", *PURCHASING, entries=[
        {"sku": "P1", "warehouseCode": "WH1", "week": "2027-W02", "quantity": "5"}]),
    "recomputeSuggestions": Rule(PURCHASING, {}),
    "convertSuggestions": rule(*PURCHASING, ids=["1"]),
    "dismissSuggestion": rule(*PURCHASING, id="1", reason="not now"),
    "savePrintTemplate": rule(kind="PURCHASE_ORDER", name="mine", html="<p>{{ number }}</p>"),
    "previewPrintTemplate": rule(kind="PURCHASE_ORDER", html="<p>{{ number }}</p>"),
    "recordPayment": rule("finance_director", customerCode="C1", amount="10",
                          receivedOn="2026-12-01"),
    "recordSupplierInvoice": rule("finance_director", supplierCode="S2", invoiceNumber="INV-1",
                                  invoiceDate="2026-12-01", lines=[
                                      {"poNumber": "{s2_order}", "lineNo": 1, "quantity": "1",
                                       "unitPrice": "40"}]),
    "approveSupplierInvoice": rule("finance_director", id="1"),
    "setFinancePolicy": rule("finance_director", priceTolerancePct="2"),
    "applyPayment": rule("finance_director", paymentNumber="PAY-1", allocations=[
        {"invoiceNumber": "INV-1", "amount": "1"}]),
    "createPurchaseReturn": rule(*PURCHASING, supplierCode="S2", warehouseCode="WH1", lines=[
        {"sku": "P3", "quantity": "1", "fromBucket": "AVAILABLE", "reason": "damaged"}]),
    "cancelPurchaseReturn": rule(*PURCHASING, number="PR-1", reason="not needed"),
    "shipPurchaseReturn": rule("warehouse", number="PR-1", idempotencyKey="{key}"),
    "createSalesReturn": rule("sales", salesOrderNumber="{sales_order}", reason="broken",
                              lines=[{"sku": "P1", "quantity": "1"}], idempotencyKey="{key}"),
    "receiveSalesReturn": rule("warehouse", document="RMA-1", warehouseCode="WH1",
                               lines=[{"sku": "P1", "quantity": "1"}], idempotencyKey="{key}"),
    "inspectSalesReturn": rule("qc", taskId=1, idempotencyKey="{key}"),
    "createSalesTeam": rule(code="T1", name="East team"),
    "renameSalesTeam": rule(code="T1", name="East"),
    "setSalesTeamMembers": rule(code="T1", usernames=["sales"]),
    "startStocktake": rule("warehouse", warehouseCode="WH1", locationCodes=["WH1-A-01"]),
    "recordCount": rule("warehouse", stocktakeNumber="ST-1", locationCode="WH1-A-01",
                        quantity="1", deviceId="pda-1", idempotencyKey="{key}"),
    "requestRecount": rule("warehouse", stocktakeNumber="ST-1", locationCodes=["WH1-A-01"]),
    "cancelStocktake": rule("warehouse", number="ST-1", reason="wrong bins"),
    "postStocktake": rule("warehouse", number="ST-1", idempotencyKey="{key}"),
    "createTransfer": rule("warehouse", *PURCHASING, fromWarehouseCode="WH1",
                           toWarehouseCode="WH1", lines=[{"sku": "P1", "quantity": "1"}],
                           idempotencyKey="{key}"),
    "confirmTransferPick": rule("warehouse", transferNumber="TR-1", lineNo=1,
                                binBarcode="WH1-A-01", quantity="1", idempotencyKey="{key}"),
    "shipTransfer": rule("warehouse", transferNumber="TR-1", idempotencyKey="{key}"),
    "receiveTransfer": rule("warehouse", transferNumber="TR-1", warehouseCode="WH1",
                            lines=[{"sku": "P1", "quantity": "1"}], idempotencyKey="{key}"),
    "cancelTransfer": rule("warehouse", *PURCHASING, transferNumber="TR-1", reason="not needed",
                           idempotencyKey="{key}"),
    "setPlanningPolicy": rule("purchase_manager", reviewPeriodDays=7),
    "registerWebhook": rule(url="http://127.0.0.1:9/hook", eventTypes=["PO_CREATED"]),
    "updateWebhook": rule(id="1", description="renamed"),
    "enableWebhook": rule(id="1"),
    "deleteWebhook": rule(id="1"),
    # Sent as a GraphQL multipart upload (see send): a one-line product CSV.
    "importData": rule(*PURCHASING, kind="PRODUCTS", file=None),
}
UPLOADS = frozenset({"importData"})


def request_of(name: str, documents: Documents) -> tuple[str, dict[str, Any]]:
    """The mutation with its input variable, world keys and a fresh idempotency key filled in."""
    field = SCHEMA.mutation_type.fields[name]  # type: ignore[union-attr]
    input_type = field.args["input"].type
    query = (f"mutation($input: {input_type}) {{ {name}(input: $input) "
             "{ userErrors { code field message } } }")
    keys = {"s1_order": documents.s1_order, "s2_order": documents.s2_order,
            "s2_notice": documents.s2_notice, "sales_order": documents.sales_order}

    def fill(value: Any) -> Any:
        placeholder = re.fullmatch(r"\{(\w+)\}", value) if isinstance(value, str) else None
        if placeholder:
            key_name = placeholder.group(1)
            return uuid.uuid4().hex if key_name == "key" else keys[key_name]
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {k: fill(item) for k, item in value.items()}
        return value

    return query, {"input": fill(MUTATION_RULES[name].input or {})}


async def send(api: Api, name: str, documents: Documents, token: str | None) -> dict[str, Any]:
    """The mutation as a client sends it: JSON, or the multipart upload spec for file inputs."""
    query, variables = request_of(name, documents)
    if name not in UPLOADS:
        return await api(query, variables, token=token)
    operations = {"query": query, "variables": variables}
    response = await api.http.post("/graphql", data={
        "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]}),
    }, files={"0": ("products.csv", b"sku,name\nP9,Product P9\n", "text/csv")},
        headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refusal_codes(body: dict[str, Any], name: str) -> list[str]:
    codes = user_error_codes((body.get("data") or {}).get(name))
    codes += [(error.get("extensions") or {}).get("code", "") for error in body.get("errors") or []]
    return codes


@pytest.fixture
async def scene(db: Database) -> tuple[Documents, dict[str, str | None]]:
    world, documents = await hostile_world(db)
    return documents, await role_tokens(db, world)


def test_every_mutation_of_the_schema_has_a_rule() -> None:
    assert SCHEMA.mutation_type is not None
    assert set(SCHEMA.mutation_type.fields) == set(MUTATION_RULES)


async def test_every_role_is_refused_every_mutation_it_does_not_hold(
    api: Api, db: Database, scene: tuple[Documents, dict[str, str | None]]
) -> None:
    documents, tokens = scene
    before = await row_counts(db)
    tried = 0
    for name, mutation_rule in sorted(MUTATION_RULES.items()):
        for role in sorted(EVERYONE - mutation_rule.roles - {"admin"}):
            body = await send(api, name, documents, tokens[role])
            expected = REFUSALS.get(role, "FORBIDDEN")
            assert refusal_codes(body, name) == [expected], (name, role, body)
            tried += 1
    assert await row_counts(db) == before
    assert tried > 200


async def test_holders_of_a_role_are_not_refused_for_lack_of_it(
    api: Api, db: Database, scene: tuple[Documents, dict[str, str | None]]
) -> None:
    """The other half of each rule: whoever it names gets past the role check (the attempt may
    still fail on the business rules, and changes made here are not this test's concern)."""
    documents, tokens = scene
    for name, mutation_rule in sorted(MUTATION_RULES.items()):
        for role in sorted(mutation_rule.roles | {"admin"}):
            body = await send(api, name, documents, tokens[role])
            assert server_failures(body) == [], (name, role, body)
            codes = refusal_codes(body, name)
            assert "FORBIDDEN" not in codes or name == "decideApproval", (name, role, body)
            assert "UNAUTHENTICATED" not in codes or name == "login", (name, role, body)


def selection(type_: graphql.GraphQLOutputType, depth: int = 3) -> str:
    """Every field of a type that takes no required argument, nested objects to ``depth``: as
    much of an answer as there is to leak."""
    named = graphql.get_named_type(type_)
    if not isinstance(named, graphql.GraphQLObjectType):
        return ""
    parts = []
    for name, field in named.fields.items():
        if any(isinstance(arg.type, graphql.GraphQLNonNull) and arg.default_value is
               graphql.Undefined for arg in field.args.values()):
            continue
        inner = graphql.get_named_type(field.type)
        if isinstance(inner, graphql.GraphQLObjectType):
            if depth > 1:
                parts.append(f"{name} {{ {selection(inner, depth - 1) or '__typename'} }}")
        else:
            parts.append(name)
    return " ".join(parts)


def query_of(field_name: str, arguments: str) -> str:
    field = SCHEMA.query_type.fields[field_name]  # type: ignore[union-attr]
    inner = selection(field.type)
    return f"{{ {field_name}{arguments}" + (f" {{ {inner} }}" if inner else "") + " }"


# Queries naming S2's supplier, orders, notice, product, barcode, as the S1 supplier user.
OTHER_SUPPLIER_QUERIES = [
    ("purchaseOrder", '(number: "{s2_order}")'),
    ("purchaseOrders", "(first: 50)"),
    ("purchaseOrders", '(first: 50, supplierCode: "S2")'),
    ("supplier", '(code: "S2")'),
    ("suppliers", '(first: 50, search: "S2")'),
    ("supplierInvoices", '(first: 50, supplierCode: "S2")'),
    ("supplierInvoice", '(id: "1")'),
    ("supplierScorecard", '(input: {dateFrom: "2020-01-01", dateTo: "2030-01-01", '
                          'supplierCode: "S2"})'),
    ("receivingDocument", '(code: "{s2_order}")'),
    ("receivingDocument", '(code: "{s2_notice}")'),
    ("resolveBarcode", '(code: "{s2_order}")'),
    ("resolveBarcode", '(code: "{s2_notice}")'),
    ("receipts", '(first: 50, orderNumber: "{s2_order}")'),
    ("replenishmentSuggestions", '(supplierCode: "S2", urgentOnly: false, status: OPEN, '
                                 "first: 50)"),
    ("product", '(sku: "P3")'),
    ("productByBarcode", '(barcode: "6901234567915")'),
    ("stockLedger", '(sku: "P3", first: 50)'),
    ("approvalTasks", ""),
]


def leaks(data: Any, documents: Documents) -> list[str]:
    """S2's values found anywhere in an answer's data (exact string values, not substrings)."""
    secrets = {"S2", "Supplier S2", "P3", "Product P3", "S2-LOT", "6901234567915",
               documents.s2_order, documents.s2_notice}
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and value in secrets:
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


async def test_a_supplier_sees_and_changes_nothing_of_another_supplier(
    api: Api, db: Database, scene: tuple[Documents, dict[str, str | None]]
) -> None:
    documents, tokens = scene
    own = await api(query_of("purchaseOrder", f'(number: "{documents.s1_order}")'),
                    token=tokens["supplier"])
    assert own["data"]["purchaseOrder"]["number"] == documents.s1_order, own
    before = await row_counts(db)
    for field_name, arguments in OTHER_SUPPLIER_QUERIES:
        filled = arguments.replace("{s2_order}", documents.s2_order).replace(
            "{s2_notice}", documents.s2_notice)
        body = await api(query_of(field_name, filled), token=tokens["supplier"])
        assert all((error.get("extensions") or {}).get("code") for error in
                   body.get("errors") or []), (field_name, body)
        assert leaks(body.get("data"), documents) == [], (field_name, arguments, body)
    for name in sorted(MUTATION_RULES):
        body = await send(api, name, documents, tokens["supplier"])
        assert server_failures(body) == [], (name, body)
        assert leaks(body.get("data"), documents) == [], (name, body)
        if name != "login":
            assert refusal_codes(body, name) in (["FORBIDDEN"], ["NOT_FOUND"]), (name, body)
    for path in (f"/documents/purchase_order/{documents.s2_order}.pdf",
                 f"/documents/asn_label/{documents.s2_notice}.pdf"):
        response = await api.http.get(path, headers={
            "Authorization": f"Bearer {tokens['supplier']}"})
        assert response.status_code == 404, (path, response.text)
    assert await row_counts(db) == before
