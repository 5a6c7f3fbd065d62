"""Nested lists are batched: the number of SQL statements does not grow with the page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from server.catalog.models import Product, ProductBarcode, Supplier, SupplierItem
from server.db import Database
from tests.e2e.conftest import Api

SUPPLIERS_WITH_ITEMS = """
query ($first: Int!) {
  suppliers(first: $first) {
    edges { node { code items { price product { sku barcodes { barcode } } } } }
  }
}"""
SUPPLIERS = 100
PRODUCTS = 30
ITEMS_PER_SUPPLIER = 3


async def seed(db: Database) -> None:
    """100 suppliers, each selling 3 of 30 products (each product with one barcode)."""
    async with db.transaction() as session:
        products = [Product(sku=f"SKU-{n:03d}", name=f"Product {n}") for n in range(PRODUCTS)]
        suppliers = [Supplier(code=f"SUP-{n:03d}", name=f"Supplier {n}")
                     for n in range(SUPPLIERS)]
        session.add_all([*products, *suppliers])
        await session.flush()
        session.add_all(ProductBarcode(product_id=p.id, barcode=f"BC-{p.sku}") for p in products)
        session.add_all(
            SupplierItem(supplier_id=s.id, product_id=products[(n + k) % PRODUCTS].id,
                         price=Decimal(k + 1))
            for n, s in enumerate(suppliers) for k in range(ITEMS_PER_SUPPLIER)
        )


@contextmanager
def counting_statements(api: Api) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = api.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def run(api: Api, token: str, first: int) -> tuple[dict[str, Any], list[str]]:
    with counting_statements(api) as statements:
        body = await api(SUPPLIERS_WITH_ITEMS, {"first": first}, token=token)
    assert "errors" not in body, body
    return body["data"], list(statements)


async def test_suppliers_with_items_and_products_take_constant_statements(
    api: Api, db: Database, admin_token: str
) -> None:
    await seed(db)
    await run(api, admin_token, 1)  # warm-up: the pool's first connection runs set-up SQL
    ten, ten_statements = await run(api, admin_token, 10)
    hundred, hundred_statements = await run(api, admin_token, 100)

    nodes = [edge["node"] for edge in hundred["suppliers"]["edges"]]
    assert len(nodes) == SUPPLIERS and len(ten["suppliers"]["edges"]) == 10
    assert all(len(node["items"]) == ITEMS_PER_SUPPLIER for node in nodes)
    assert nodes[99]["items"][2]["product"] == {
        "sku": "SKU-011", "barcodes": [{"barcode": "BC-SKU-011"}]
    }
    assert len(hundred_statements) == len(ten_statements)
    # Authentication (token, user and roles in one), then one statement per level: suppliers,
    # their items, the items' products, the products' barcodes. SQLite adds its explicit BEGINs.
    queries = [s for s in hundred_statements if not s.startswith("BEGIN")]
    assert len(queries) == 5, queries
    assert [q.split("FROM ")[1].split()[0] for q in queries[1:]] == [
        "supplier", "supplier_item", "product", "product_barcode"
    ]


async def test_sibling_root_fields_share_the_request_session(
    api: Api, db: Database, admin_token: str
) -> None:
    await seed(db)
    body = await api("""{
      suppliers(first: 100) { nodes { items { supplier { code } product { sku } } } }
      products(first: 100) { nodes { sku supplierItems { supplier { code } } } }
      supplier(code: "SUP-007") { code }
      product(sku: "SKU-007") { sku }
    }""", token=admin_token)
    assert "errors" not in body, body
    assert len(body["data"]["products"]["nodes"]) == PRODUCTS
    assert body["data"]["supplier"] == {"code": "SUP-007"}
