"""What a stranger might send: junk barcodes, absurd numbers, oversized and malformed bodies,
deep and aliased queries, NUL characters and very long strings. Each is refused with a typed
error (or answered as "not a known code"), never a server error, and changes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import websockets
from websockets import Subprotocol

from server.db import Database
from tests.e2e.conftest import Api
from tests.e2e.hostile_world import (
    Documents,
    hostile_world,
    role_tokens,
    row_counts,
    server_failures,
    user_error_codes,
)
from tests.e2e.test_role_isolation import MUTATION_RULES, UPLOADS, refusal_codes, request_of
from tests.e2e.test_subscriptions import STOCK_CHANGED, LiveServer, live_server

__all__ = ["live_server"]

Scene = tuple[Documents, dict[str, str | None]]
RESOLVE = """query($code: String!) { resolveBarcode(code: $code) {
  scan { raw kind gtin lot sscc product { sku } } userErrors { code field message } } }"""
ADJUST = """mutation($input: AdjustStockInput!) { adjustStock(input: $input) {
  userErrors { code field message } } }"""
CREATE_SALE = """mutation($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) {
  salesOrder { number } userErrors { code field message } } }"""
CREATE_SALE_WITH_AMOUNT = """mutation($input: CreateSalesOrderInput!) {
  createSalesOrder(input: $input) { salesOrder { number totalAmount }
  userErrors { code field message } } }"""
CREATE_PO = """mutation($input: CreatePurchaseOrderInput!) {
  createPurchaseOrder(input: $input) { purchaseOrder { number } userErrors { code field } } }"""
PRODUCT = """query($sku: String!) { product(sku: $sku) { sku name } }"""
JUNK_BARCODES = [
    "", " ", "\t\n", "]", "]C1", "]C1(01)", "]C1" + "\x1d" * 50, "]C101", "]C101ABCDEFGHIJKLMN",
    "]C19912345", "]C1(99)(98)(97)", "(01)12345678901234(17)991399", "]C100123",
    "]Q3" + "x" * 300, "]d2" + "\x1d17" * 40, "0" * 10_000, "€" * 5_000, "'; DROP TABLE product;--",
    "%s%s%s%n", "\u202e\u200b\ufeff", "1" * 17 + "X", "00" + "9" * 18,
]
ABSURD_QUANTITIES: list[Any] = ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e400",
                                "-1e400", "1e11", "123456789012", "1" * 5000, "0x10", "1_000",
                                "1e999999999999999999999",
                                "", " ", "one", True, [], {}]


@pytest.fixture
async def scene(db: Database) -> Scene:
    world, documents = await hostile_world(db)
    return documents, await role_tokens(db, world)


def adjustment(quantity: Any) -> dict[str, Any]:
    return {"input": {"warehouseCode": "WH1", "sku": "P1", "locationCode": "WH1-A-01",
                      "quantity": quantity, "reason": "recount",
                      "idempotencyKey": f"hostile-{quantity!r}"[:90]}}


def sale(quantity: Any) -> dict[str, Any]:
    return {"input": {"customerCode": "C1", "warehouseCode": "WH1",
                      "lines": [{"sku": "P1", "quantity": quantity}]}}


async def test_junk_barcodes_are_answered_as_unknown_codes(api: Api, admin_token: str) -> None:
    for code in JUNK_BARCODES:
        body = await api(RESOLVE, {"code": code}, token=admin_token)
        assert "errors" not in body, (code, body)
        payload = body["data"]["resolveBarcode"]
        assert payload["scan"] is not None or user_error_codes(payload), (code, payload)


async def test_absurd_quantities_are_refused_before_any_use_case(
    api: Api, db: Database, admin_token: str
) -> None:
    before = await row_counts(db)
    for quantity in ABSURD_QUANTITIES:
        for query, variables in ((ADJUST, adjustment(quantity)), (CREATE_SALE, sale(quantity))):
            body = await api(query, variables, token=admin_token)
            assert body["data"] is None and body["errors"], (quantity, body)
            assert "Decimal" in body["errors"][0]["message"], (quantity, body)
    assert await row_counts(db) == before


async def test_non_finite_json_numbers_are_refused(
    api: Api, db: Database, admin_token: str
) -> None:
    """Python's JSON parser reads 1e400 as infinity and accepts the NaN token: neither gets in."""
    before = await row_counts(db)
    for number in ("1e400", "-1e400", "NaN", "Infinity"):
        raw = ('{"query": "mutation($input: AdjustStockInput!) { adjustStock(input: $input) '
               '{ userErrors { code } } }", "variables": {"input": {"warehouseCode": "WH1", '
               '"sku": "P1", "locationCode": "WH1-A-01", "reason": "r", "idempotencyKey": "k", '
               f'"quantity": {number}}}}}}}')
        response = await api.http.post("/graphql", content=raw, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {admin_token}"})
        assert response.status_code == 200, response.text
        assert "finite" in response.json()["errors"][0]["message"], response.text
    assert await row_counts(db) == before


async def test_the_largest_amounts_are_stored_exactly_and_overflowing_totals_refused(
    api: Api, db: Database, scene: Scene
) -> None:
    """The largest accepted Decimals as quantity or price are kept to the last digit on both
    databases; a total past NUMERIC(18, 4) (each figure in range, their product not) and
    negative or zero figures get a typed refusal that changes nothing."""
    _, tokens = scene
    for quantity, price, stored in (("99999999999.9999", "1", True),
                                    ("1", "99999999999.9999", True),
                                    ("99999999", "99999999", False), ("-5", "1", False),
                                    ("0", "1", False), ("1", "-1", False)):
        variables = sale(quantity)
        variables["input"]["lines"][0]["unitPrice"] = price
        variables["input"]["shortagePolicy"] = "BACKORDER"
        before = await row_counts(db)
        body = await api(CREATE_SALE_WITH_AMOUNT, variables, token=tokens["sales"])
        payload = body["data"]["createSalesOrder"]
        if stored:
            amount = Decimal(payload["salesOrder"]["totalAmount"])
            assert amount == Decimal(quantity) * Decimal(price), (quantity, price, body)
        else:
            assert user_error_codes(payload) == ["INVALID_INPUT"], (quantity, price, body)
            assert await row_counts(db) == before, (quantity, price, body)
    before = await row_counts(db)
    body = await api(CREATE_PO, {"input": {"supplierCode": "S1", "warehouseCode": "WH1", "lines": [
        {"sku": "P1", "quantity": "99999999", "unitPrice": "99999999"}]}},
        token=tokens["purchaser"])
    payload = body["data"]["createPurchaseOrder"]
    assert user_error_codes(payload) == ["INVALID_INPUT"], body
    assert payload["userErrors"][0]["field"] == "lines"
    assert await row_counts(db) == before


async def test_a_10_mb_body_is_refused_with_413(api: Api, admin_token: str) -> None:
    huge = {"query": "{ me { username } }", "variables": {"padding": "x" * 10_000_000}}
    response = await api.http.post("/graphql", json=huge,
                                   headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code == 413


async def test_deep_aliased_and_token_heavy_queries_are_refused(
    api: Api, admin_token: str
) -> None:
    deep = "{ me { username } " + "purchaseOrders(first: 1) { edges { node { lines { product {" \
        + " supplierItems { supplier { " * 4 + "code" + " } }" * 4 + " } } } } } }"
    aliased = "{ " + " ".join(f"a{i}: me {{ username }}" for i in range(200)) + " }"
    heavy = "{ me { " + "username " * 5000 + "} }"
    for query, limit in ((deep, "depth"), (aliased, "aliases"), (heavy, "tokens")):
        body = await api(query, token=admin_token)
        assert body.get("data") is None and limit in body["errors"][0]["message"], body
    cheap = await api("{ me { username } }", token=admin_token)
    assert cheap["data"]["me"]["username"] == "admin"


@pytest.mark.parametrize("raw", ["[]", '"query"', "1", "null", "true", "{", "{}",
                                 '{"query": 1}', '{"query": ["{ me { username } }"]}',
                                 '{"query": "{ me { username } }", "variables": []}',
                                 '{"query": "{ me { username } }", "variables": "x"}',
                                 '{"query": "{ me { username } }", "operationName": 5}',
                                 '[{"query": "{ me { username } }"}]', "\x00", "\xff\xfe"])
async def test_bodies_that_are_not_a_graphql_request_get_400(
    api: Api, db: Database, raw: str
) -> None:
    response = await api.http.post("/graphql", content=raw.encode("utf-8", "surrogateescape"),
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 400, (raw, response.status_code, response.text)


def string_fields(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths of every string in a mutation's input (list items by index)."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_fields(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_fields(item, f"{path}.{index}")


def replaced(value: Any, path: list[str], new: str) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, list):
        return [replaced(item, rest, new) if str(i) == head else item
                for i, item in enumerate(value)]
    return {key: replaced(item, rest, new) if key == head else item
            for key, item in value.items()}


def variants(documents: Documents, spoil: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every mutation sent as JSON with one of its input strings spoiled, one at a time."""
    for name in sorted(MUTATION_RULES.keys() - UPLOADS):
        query, variables = request_of(name, documents)
        for path in string_fields(variables["input"]):
            original = path_value(variables["input"], path.split("."))
            yield name, query, {"input": replaced(variables["input"], path.split("."),
                                                  spoil.replace("{original}", original))}


def path_value(value: Any, path: list[str]) -> str:
    for step in path:
        value = value[int(step)] if isinstance(value, list) else value[step]
    assert isinstance(value, str)
    return value


async def test_nul_characters_are_refused_everywhere_before_the_database(
    api: Api, db: Database, scene: Scene
) -> None:
    documents, tokens = scene
    before = await row_counts(db)
    tried = 0
    for name, query, variables in variants(documents, "{original}\x00x"):
        body = await api(query, variables, token=tokens["admin"])
        assert refusal_codes(body, name) == ["INVALID_INPUT"], (name, variables, body)
        assert "NUL" in body["errors"][0]["message"]
        tried += 1
    for query, variables in (('{ product(sku: "P1\\u0000") { sku } }', None),
                             (PRODUCT, {"sku": "P1\x00"})):
        product = await api(query, variables, token=tokens["admin"])
        assert product["errors"][0]["extensions"]["code"] == "INVALID_INPUT", product
    assert await row_counts(db) == before
    assert tried > 50


async def test_very_long_strings_are_refused_with_a_typed_error(
    api: Api, db: Database, scene: Scene
) -> None:
    """Each input string made 20,000 characters long in turn: the answer is a typed refusal
    (or success where the field has room), and a refusal changes nothing."""
    documents, tokens = scene
    for name, query, variables in variants(documents, "{original}" + "y" * 20_000):
        before = await row_counts(db)
        body = await api(query, variables, token=tokens["admin"])
        assert server_failures(body) == [], (name, body)
        if refusal_codes(body, name):
            assert await row_counts(db) == before, (name, body)


async def test_a_subscription_with_a_nul_is_refused(
    live_server: LiveServer, admin_token: str
) -> None:
    async with websockets.connect(live_server.url,
                                  subprotocols=[Subprotocol("graphql-transport-ws")]) as socket:
        await socket.send(json.dumps({"type": "connection_init",
                                      "payload": {"Authorization": f"Bearer {admin_token}"}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": STOCK_CHANGED, "variables": {"warehouseCode": "WH1\x00"}}}))
        answer = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert answer["type"] in ("error", "next"), answer
    errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "INVALID_INPUT", answer



async def test_lone_surrogates_are_refused_before_the_database(
    api: Api, db: Database, admin_token: str
) -> None:
    """JSON's \\ud800 escape carries a lone surrogate, which is not text: in a variable it is
    a typed refusal (graphql-core's lexer already refuses one in the query), and the answer is
    JSON."""
    before = await row_counts(db)
    for variables in ({"code": "\ud800"}, {"code": "P1\udfff"}):
        raw = json.dumps({"query": RESOLVE, "variables": variables})
        response = await api.http.post("/graphql", content=raw, headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {admin_token}"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "code"}
    assert await row_counts(db) == before
