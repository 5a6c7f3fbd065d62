"""A small, realistic set of master data built through the real use cases, for tests of the
stages that stand on it (purchasing, receiving, sales)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from server import auth
from server.auth import Principal, Role
from server.catalog import products, supplier_items, suppliers
from server.catalog import service as warehouses
from server.catalog.drafts import BarcodeDraft, ProductDraft, SupplierDraft, SupplierItemTerms
from server.catalog.models import LocationType
from server.catalog.service import LocationDraft, WarehouseDraft
from server.db import Database

PASSWORD = "correct-horse-9"


@dataclass
class World:
    admin: Principal
    users: dict[str, Principal] = field(default_factory=dict)

    def __getitem__(self, username: str) -> Principal:
        return self.users[username]


async def build_world(db: Database) -> World:
    """Warehouse WH1 with bins; suppliers S1 (5 % tolerance) and S2; products P1 (price 100 from
    S1), P2 (QC required, 250 from S1) and P3 (from S2); one user per role, supplier users s1 and
    s2, three purchase managers."""
    admin = await auth.create_user(db, "admin", PASSWORD, [Role.ADMIN])
    world = World(admin=admin)
    await warehouses.create_warehouse(db, admin, WarehouseDraft("WH1", "Main"))
    for code, kind in [("WH1-RCV", LocationType.RECEIVING), ("WH1-QC", LocationType.QC),
                       ("WH1-A-01", LocationType.STORAGE), ("WH1-A-02", LocationType.STORAGE),
                       ("WH1-STG", LocationType.STAGING), ("WH1-REJ", LocationType.REJECTED)]:
        await warehouses.create_location(db, admin, LocationDraft(code, "WH1", kind))
    for code, tolerance in [("S1", Decimal(5)), ("S2", Decimal(0))]:
        await suppliers.create_supplier(db, admin, SupplierDraft(
            code, f"Supplier {code}", over_receipt_tolerance_pct=tolerance))
    for sku, qc, barcode in [("P1", False, "6901234567892"), ("P2", True, "6901234567908"),
                             ("P3", False, "6901234567915")]:
        await products.create_product(db, admin, ProductDraft(
            sku, f"Product {sku}", category="tools", qc_required=qc, list_price=Decimal(300),
            barcodes=(BarcodeDraft(barcode),)))
    for supplier, sku, price in [("S1", "P1", "100"), ("S1", "P2", "250"), ("S2", "P3", "40")]:
        await supplier_items.set_supplier_item(db, admin, SupplierItemTerms(
            supplier, sku, price=Decimal(price), preferred=True))
    s1 = await suppliers_id(db, "S1")
    s2 = await suppliers_id(db, "S2")
    for username, roles, supplier_id in [
        ("purchaser", [Role.PURCHASER], None),
        ("manager", [Role.PURCHASE_MANAGER], None),
        ("manager2", [Role.PURCHASE_MANAGER], None),
        ("manager3", [Role.PURCHASE_MANAGER], None),
        ("finance", [Role.FINANCE_DIRECTOR], None),
        ("warehouse", [Role.WAREHOUSE], None),
        ("qc", [Role.QC], None),
        ("sales", [Role.SALES], None),
        ("s1", [Role.SUPPLIER], s1),
        ("s2", [Role.SUPPLIER], s2),
    ]:
        world.users[username] = await auth.create_user(db, username, PASSWORD, roles,
                                                       supplier_id=supplier_id)
    return world


async def suppliers_id(db: Database, code: str) -> int:
    async with db.reader() as session:
        return (await suppliers.supplier_by_code(session, code)).id
