"""Products, suppliers, supplier items and customers through GraphQL: the happy paths, and every
kind of bad request answered with a clear error while writing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server.auth import Principal, Role
from server.catalog.models import Customer, Product, ProductBarcode, Supplier, SupplierItem
from server.db import Database
from tests.conftest import UserFactory
from tests.e2e.conftest import Api, token_for

ERRORS = "userErrors { code field message }"
CREATE_PRODUCT = f"""
mutation ($input: CreateProductInput!) {{
  createProduct(input: $input) {{
    product {{ sku name listPrice safetyStock active tags barcodes {{ barcode packQuantity }} }}
    {ERRORS}
  }}
}}"""
UPDATE_PRODUCT = f"""
mutation ($input: UpdateProductInput!) {{
  updateProduct(input: $input) {{
    product {{ sku name category active qcRequired barcodes {{ barcode packQuantity }} }}
    {ERRORS}
  }}
}}"""
PRODUCTS = """
query ($first: Int, $after: String, $search: String, $category: String, $active: Boolean,
       $qcRequired: Boolean) {
  products(first: $first, after: $after, search: $search, category: $category, active: $active,
           qcRequired: $qcRequired) {
    edges { cursor node { sku } }
    pageInfo { hasNextPage endCursor }
  }
}"""
CREATE_SUPPLIER = f"""
mutation ($input: CreateSupplierInput!) {{
  createSupplier(input: $input) {{ supplier {{ code name overReceiptTolerancePct }} {ERRORS} }}
}}"""
UPDATE_SUPPLIER = f"""
mutation ($input: UpdateSupplierInput!) {{
  updateSupplier(input: $input) {{ supplier {{ code contactName active }} {ERRORS} }}
}}"""
SET_ITEM = f"""
mutation ($input: SetSupplierItemInput!) {{
  setSupplierItem(input: $input) {{
    supplierItem {{ price currency moq packMultiple leadTimeDays preferred active
                    product {{ sku }} supplier {{ code }} }}
    {ERRORS}
  }}
}}"""
CREATE_CUSTOMER = f"""
mutation ($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{
    customer {{ code region salesperson {{ username displayName }} }}
    {ERRORS}
  }}
}}"""
UPDATE_CUSTOMER = f"""
mutation ($input: UpdateCustomerInput!) {{
  updateCustomer(input: $input) {{ customer {{ code active salesperson {{ username }} }} {ERRORS} }}
}}"""
CATALOG_TABLES = (Product, ProductBarcode, Supplier, SupplierItem, Customer)


async def row_counts(db: Database) -> dict[str, int]:
    async with db.reader() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            or 0
            for model in CATALOG_TABLES
        }


@pytest.fixture
async def purchaser_token(db: Database, make_user: UserFactory) -> str:
    return await token_for(db, await make_user(Role.PURCHASER))


@pytest.fixture
async def seeded(api: Api, purchaser_token: str) -> None:
    """Supplier ACME, products COLA (with unit and case barcodes) and TEA, ACME selling COLA."""
    for query, data in (
        (CREATE_SUPPLIER, {"code": "ACME", "name": "Acme Ltd"}),
        (CREATE_PRODUCT, {"sku": "COLA", "name": "Cola 330 ml", "category": "drinks",
                          "listPrice": "3.5", "barcodes": [
                              {"barcode": "6901234567892"},
                              {"barcode": "16901234567899", "packQuantity": "12"}]}),
        (CREATE_PRODUCT, {"sku": "TEA", "name": "Green tea", "category": "drinks"}),
        (SET_ITEM, {"supplierCode": "ACME", "sku": "COLA", "price": "2.1"}),
    ):
        body = await api(query, {"input": data}, token=purchaser_token)
        assert "errors" not in body, body
        [payload] = body["data"].values()
        assert payload["userErrors"] == []


async def test_product_is_created_updated_deactivated_and_listed(
    api: Api, purchaser_token: str
) -> None:
    created = await api(CREATE_PRODUCT, {"input": {
        "sku": "COLA", "name": "Cola 330 ml", "listPrice": "3.5", "safetyStock": "24",
        "tags": ["summer", "promo"],
        "barcodes": [{"barcode": "6901234567892"},
                     {"barcode": "16901234567899", "packQuantity": "12"}],
    }}, token=purchaser_token)
    assert created["data"]["createProduct"] == {
        "product": {"sku": "COLA", "name": "Cola 330 ml", "listPrice": "3.5000",
                    "safetyStock": "24.0000", "active": True, "tags": ["promo", "summer"],
                    "barcodes": [{"barcode": "6901234567892", "packQuantity": "1.0000"},
                                 {"barcode": "16901234567899", "packQuantity": "12.0000"}]},
        "userErrors": [],
    }
    updated = await api(UPDATE_PRODUCT, {"input": {
        "sku": "COLA", "category": "drinks", "active": False,
        "addBarcodes": [{"barcode": "TRAY-6", "packQuantity": "6"}],
        "removeBarcodes": ["6901234567892"],
    }}, token=purchaser_token)
    assert updated["data"]["updateProduct"] == {
        "product": {"sku": "COLA", "name": "Cola 330 ml", "category": "drinks", "active": False,
                    "qcRequired": False,
                    "barcodes": [{"barcode": "TRAY-6", "packQuantity": "6.0000"},
                                 {"barcode": "16901234567899", "packQuantity": "12.0000"}]},
        "userErrors": [],
    }
    inactive = await api(PRODUCTS, {"active": False}, token=purchaser_token)
    assert [e["node"]["sku"] for e in inactive["data"]["products"]["edges"]] == ["COLA"]
    scanned = await api('{ productByBarcode(barcode: "TRAY-6") { sku } }', token=purchaser_token)
    assert scanned["data"]["productByBarcode"] == {"sku": "COLA"}
    reactivated = await api(UPDATE_PRODUCT, {"input": {"sku": "COLA", "active": True}},
                            token=purchaser_token)
    assert reactivated["data"]["updateProduct"]["product"]["active"] is True


async def test_products_filter_and_paginate(api: Api, purchaser_token: str) -> None:
    for n, category in enumerate(["drinks", "snacks", "drinks", "drinks", "snacks"]):
        body = await api(CREATE_PRODUCT, {"input": {"sku": f"SKU-{n}", "name": f"Item {n}",
                                                    "category": category}},
                         token=purchaser_token)
        assert body["data"]["createProduct"]["userErrors"] == []
    pages: list[list[str]] = []
    after = None
    while True:
        body = await api(PRODUCTS, {"first": 2, "after": after, "category": "drinks"},
                         token=purchaser_token)
        connection = body["data"]["products"]
        pages.append([edge["node"]["sku"] for edge in connection["edges"]])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == [["SKU-0", "SKU-2"], ["SKU-3"]]
    searched = await api(PRODUCTS, {"search": "item 4"}, token=purchaser_token)
    assert [e["node"]["sku"] for e in searched["data"]["products"]["edges"]] == ["SKU-4"]
    too_many = await api(PRODUCTS, {"first": 10_000}, token=purchaser_token)
    assert too_many["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "first"}


async def test_suppliers_items_and_customers_round_trip(
    api: Api, purchaser_token: str, seeded: None, db: Database, make_user: UserFactory
) -> None:
    updated = await api(UPDATE_SUPPLIER, {"input": {"code": "ACME", "contactName": "Li Wei"}},
                        token=purchaser_token)
    assert updated["data"]["updateSupplier"]["supplier"] == {
        "code": "ACME", "contactName": "Li Wei", "active": True}
    item = await api(SET_ITEM, {"input": {"supplierCode": "ACME", "sku": "COLA", "moq": "240",
                                          "packMultiple": "24", "preferred": True}},
                     token=purchaser_token)
    assert item["data"]["setSupplierItem"] == {"supplierItem": {
        "price": "2.1000", "currency": "CNY", "moq": "240.0000", "packMultiple": "24.0000",
        "leadTimeDays": 7, "preferred": True, "active": True, "product": {"sku": "COLA"},
        "supplier": {"code": "ACME"}}, "userErrors": []}
    nested = await api('{ product(sku: "COLA") { supplierItems { price supplier { code } } } }',
                       token=purchaser_token)
    assert nested["data"]["product"]["supplierItems"] == [
        {"price": "2.1000", "supplier": {"code": "ACME"}}]
    deactivated = await api(UPDATE_SUPPLIER, {"input": {"code": "ACME", "active": False}},
                            token=purchaser_token)
    assert deactivated["data"]["updateSupplier"]["supplier"]["active"] is False
    listed = await api("{ suppliers(active: false) { nodes { code items { product { sku } } } } }",
                       token=purchaser_token)
    assert listed["data"]["suppliers"]["nodes"] == [
        {"code": "ACME", "items": [{"product": {"sku": "COLA"}}]}]

    sales = await make_user(Role.SALES, username="wang")
    sales_token = await token_for(db, sales)
    customer = await api(CREATE_CUSTOMER, {"input": {"code": "C-001", "name": "Hua Mart",
                                                     "region": "east", "salesperson": "wang"}},
                         token=sales_token)
    assert customer["data"]["createCustomer"] == {"customer": {
        "code": "C-001", "region": "east",
        "salesperson": {"username": "wang", "displayName": "wang"}}, "userErrors": []}
    left = await api(UPDATE_CUSTOMER, {"input": {"code": "C-001", "unassignSalesperson": True,
                                                 "active": False}}, token=sales_token)
    assert left["data"]["updateCustomer"]["customer"] == {
        "code": "C-001", "active": False, "salesperson": None}
    listed_customers = await api(
        '{ customers(region: "east", active: false) { nodes { code } } }', token=sales_token)
    assert listed_customers["data"]["customers"]["nodes"] == [{"code": "C-001"}]


def user_errors(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    [payload] = body["data"].values()
    assert next(iter(v for k, v in payload.items() if k != "userErrors")) is None
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def test_unauthenticated_mutations_write_nothing(api: Api, db: Database,
                                                       seeded: None) -> None:
    before = await row_counts(db)
    for query, data in (
        (CREATE_PRODUCT, {"sku": "NEW", "name": "New"}),
        (UPDATE_PRODUCT, {"sku": "COLA", "active": False}),
        (CREATE_SUPPLIER, {"code": "NEW", "name": "New"}),
        (SET_ITEM, {"supplierCode": "ACME", "sku": "TEA", "price": "1"}),
        (CREATE_CUSTOMER, {"code": "C-9", "name": "New"}),
    ):
        body = await api(query, {"input": data})
        assert user_errors(body) == [("UNAUTHENTICATED", None)]
    assert await row_counts(db) == before
    listed = await api(PRODUCTS)
    assert listed["data"] is None
    assert listed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_wrong_roles_are_forbidden_and_write_nothing(
    api: Api, db: Database, seeded: None, make_user: UserFactory
) -> None:
    clerk = await token_for(db, await make_user(Role.WAREHOUSE))
    purchaser = await token_for(db, await make_user(Role.PURCHASER))
    before = await row_counts(db)
    for token, query, data in (
        (clerk, CREATE_PRODUCT, {"sku": "NEW", "name": "New"}),
        (clerk, UPDATE_SUPPLIER, {"code": "ACME", "active": False}),
        (clerk, SET_ITEM, {"supplierCode": "ACME", "sku": "TEA", "price": "1"}),
        (purchaser, CREATE_CUSTOMER, {"code": "C-9", "name": "New"}),
    ):
        assert user_errors(await api(query, {"input": data}, token=token)) == [
            ("FORBIDDEN", None)]
    assert await row_counts(db) == before


async def test_bad_references_and_duplicates_write_nothing(
    api: Api, db: Database, purchaser_token: str, seeded: None, make_user: UserFactory
) -> None:
    await make_user(Role.PURCHASER, username="li")
    sales_token = await token_for(db, await make_user(Role.SALES))
    before = await row_counts(db)
    cases: list[tuple[str, str, dict[str, Any], list[tuple[str, str | None]]]] = [
        (purchaser_token, SET_ITEM, {"supplierCode": "GHOST", "sku": "NOPE", "price": "1"},
         [("NOT_FOUND", "supplierCode"), ("NOT_FOUND", "sku")]),
        (purchaser_token, UPDATE_PRODUCT, {"sku": "NOPE", "name": "x"}, [("NOT_FOUND", "sku")]),
        (sales_token, CREATE_CUSTOMER, {"code": "C-1", "name": "X", "salesperson": "ghost"},
         [("NOT_FOUND", "salesperson")]),
        (sales_token, CREATE_CUSTOMER, {"code": "C-1", "name": "X", "salesperson": "li"},
         [("INVALID_INPUT", "salesperson")]),
        (purchaser_token, CREATE_SUPPLIER, {"code": "ACME", "name": "Again"},
         [("DUPLICATE", "code")]),
        (purchaser_token, CREATE_PRODUCT,
         {"sku": "COLA", "name": "Again", "barcodes": [{"barcode": "16901234567899"}]},
         [("DUPLICATE", "sku"), ("DUPLICATE", "barcodes[0].barcode")]),
        (purchaser_token, UPDATE_PRODUCT,
         {"sku": "TEA", "addBarcodes": [{"barcode": "6901234567892"}]},
         [("DUPLICATE", "addBarcodes[0].barcode")]),
    ]
    for token, query, data, expected in cases:
        assert user_errors(await api(query, {"input": data}, token=token)) == expected, data
    assert await row_counts(db) == before


async def test_negative_and_zero_amounts_are_invalid_and_write_nothing(
    api: Api, db: Database, purchaser_token: str, seeded: None
) -> None:
    before = await row_counts(db)
    cases: list[tuple[str, dict[str, Any], list[tuple[str, str | None]]]] = [
        (CREATE_PRODUCT, {"sku": "NEW", "name": "New", "listPrice": "-1", "safetyStock": "-5",
                          "barcodes": [{"barcode": "CASE", "packQuantity": "0"}]},
         [("INVALID_INPUT", "safetyStock"), ("INVALID_INPUT", "listPrice"),
          ("INVALID_INPUT", "barcodes[0].packQuantity")]),
        (UPDATE_PRODUCT, {"sku": "COLA", "listPrice": "-0.01"}, [("INVALID_INPUT", "listPrice")]),
        (CREATE_SUPPLIER, {"code": "NEW", "name": "New", "overReceiptTolerancePct": "-1"},
         [("INVALID_INPUT", "overReceiptTolerancePct")]),
        (SET_ITEM, {"supplierCode": "ACME", "sku": "TEA", "price": "-2", "moq": "0",
                    "packMultiple": "0"},
         [("INVALID_INPUT", "price"), ("INVALID_INPUT", "moq"),
          ("INVALID_INPUT", "packMultiple")]),
    ]
    for query, data, expected in cases:
        assert user_errors(await api(query, {"input": data}, token=purchaser_token)) == expected
    assert await row_counts(db) == before


@pytest.mark.parametrize(("query", "data"), [
    (SET_ITEM, {"supplierCode": "ACME", "sku": "TEA", "price": "abc"}),
    (SET_ITEM, {"supplierCode": "ACME", "sku": "TEA", "price": "NaN"}),
    (CREATE_PRODUCT, {"sku": "NEW", "name": "New", "listPrice": "1,5"}),
    (CREATE_PRODUCT, {"sku": "NEW"}),
    (CREATE_SUPPLIER, {"code": "NEW", "name": "New", "overReceiptTolerancePct": "5%"}),
])
async def test_malformed_input_is_a_graphql_error_and_writes_nothing(
    api: Api, db: Database, purchaser_token: str, seeded: None, query: str,
    data: dict[str, Any]
) -> None:
    before = await row_counts(db)
    body = await api(query, {"input": data}, token=purchaser_token)
    assert body.get("data") is None
    assert "input" in body["errors"][0]["message"]
    assert await row_counts(db) == before


async def test_abc_price_names_the_decimal_problem(
    api: Api, purchaser_token: str, seeded: None
) -> None:
    body = await api(SET_ITEM, {"input": {"supplierCode": "ACME", "sku": "TEA", "price": "abc"}},
                     token=purchaser_token)
    assert "cannot represent a Decimal" in body["errors"][0]["message"]


async def test_supplier_user_sees_its_own_data_only(
    api: Api, db: Database, purchaser_token: str, seeded: None, make_user: UserFactory
) -> None:
    other = await api(CREATE_SUPPLIER, {"input": {"code": "BOLT", "name": "Bolt"}},
                      token=purchaser_token)
    assert other["data"]["createSupplier"]["userErrors"] == []
    await api(SET_ITEM, {"input": {"supplierCode": "BOLT", "sku": "COLA", "price": "1.9"}},
              token=purchaser_token)
    await api(SET_ITEM, {"input": {"supplierCode": "BOLT", "sku": "TEA", "price": "5"}},
              token=purchaser_token)
    async with db.reader() as session:
        acme_id = await session.scalar(select(Supplier.id).where(Supplier.code == "ACME"))
    acme: Principal = await make_user(Role.SUPPLIER, supplier_id=acme_id)
    token = await token_for(db, acme)

    seen = await api("""{
      suppliers { nodes { code items { price product { sku } } } }
      other: supplier(code: "BOLT") { code }
      products { nodes { sku supplierItems { price supplier { code } } } }
      tea: product(sku: "TEA") { sku }
      teaByBarcode: productByBarcode(barcode: "6901234567892") { sku }
    }""", token=token)
    assert seen["data"] == {
        "suppliers": {"nodes": [{"code": "ACME", "items": [
            {"price": "2.1000", "product": {"sku": "COLA"}}]}]},
        "other": None,
        "products": {"nodes": [{"sku": "COLA", "supplierItems": [
            {"price": "2.1000", "supplier": {"code": "ACME"}}]}]},
        "tea": None,
        "teaByBarcode": {"sku": "COLA"},
    }
    customers = await api("{ customers { nodes { code } } }", token=token)
    assert customers["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    before = await row_counts(db)
    assert user_errors(await api(UPDATE_SUPPLIER, {"input": {"code": "ACME", "name": "Mine"}},
                                 token=token)) == [("FORBIDDEN", None)]
    assert user_errors(await api(SET_ITEM, {"input": {"supplierCode": "ACME", "sku": "COLA",
                                                      "price": "0"}},
                                 token=token)) == [("FORBIDDEN", None)]
    assert await row_counts(db) == before
