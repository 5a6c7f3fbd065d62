"""What every document's view model shares: the frame (document, parties, lines, totals,
extra), the titles per language, and how numbers and dates are written: plain strings, so a
template sees data, never ORM objects it could reach the database or Python internals through."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import User
from server.catalog.models import Product, Warehouse
from server.documents.models import DocumentKind
from server.errors import InvalidInput

View = dict[str, Any]

LANGUAGES = ("zh", "en")
# The issuing company printed in every header. There is no company master data yet; one place
# to change it until there is.
COMPANY = {"name": "采销贸易有限公司 Caixiao Trading Co., Ltd.", "address": ""}
CENT = Decimal("0.01")
ZERO = Decimal(0)

TITLES: dict[DocumentKind, dict[str, str]] = {
    DocumentKind.PURCHASE_ORDER: {"zh": "采购订单", "en": "Purchase Order"},
    DocumentKind.ASN_LABEL: {"zh": "发货通知标签", "en": "Shipping Notice Label"},
    DocumentKind.RECEIPT: {"zh": "收货质检单", "en": "Goods Receipt and QC Report"},
    DocumentKind.PICK_LIST: {"zh": "拣货单", "en": "Pick List"},
    DocumentKind.DELIVERY_NOTE: {"zh": "出库单", "en": "Delivery Note"},
    DocumentKind.SHIPPING_LABEL: {"zh": "发货标签", "en": "Shipping Label"},
    DocumentKind.INVOICE: {"zh": "销售发票", "en": "Invoice"},
}


def document_kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value)
    except ValueError:
        known = ", ".join(kind.value for kind in DocumentKind)
        raise InvalidInput(f"no document kind {value!r}; known: {known}", field="kind") from None


def checked_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    return language


def quantity_text(value: Decimal) -> str:
    """A quantity as people write it: 24, 2.5 (no trailing zeros, never 2.4E+1)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value: Decimal) -> str:
    return str(money(value))


def day_text(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def time_text(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def warehouse_party(warehouse: Warehouse) -> dict[str, str]:
    return {"code": warehouse.code, "name": warehouse.name}


# Units are kept as short English codes; Chinese documents print their Chinese names.
UNIT_NAMES = {"zh": {"pcs": "件", "box": "盒", "bottle": "瓶", "bag": "袋", "can": "罐",
                     "pack": "包", "ream": "令", "roll": "卷", "tube": "支", "case": "箱",
                     "kg": "千克", "g": "克", "l": "升", "ml": "毫升", "m": "米", "set": "套"}}


def product_columns(product: Product, language: str) -> dict[str, str]:
    unit = product.unit_of_measure
    return {"sku": product.sku, "name": product.name,
            "unit": UNIT_NAMES.get(language, {}).get(unit, unit)}


async def products_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Product]:
    found = await session.scalars(select(Product).where(Product.id.in_(set(ids))))
    return {product.id: product for product in found}


async def display_names(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str]:
    rows = await session.execute(
        select(User.id, User.display_name).where(User.id.in_(set(user_ids))))
    return {user_id: name for user_id, name in rows}


async def display_name_of(session: AsyncSession, username: str) -> str:
    """How a document names a person: their display name (the username if they have none)."""
    name = await session.scalar(select(User.display_name).where(User.username == username))
    return name or username


def view_of(
    kind: DocumentKind, language: str, document: dict[str, str], parties: dict[str, Any],
    lines: list[dict[str, Any]], totals: dict[str, str], extra: dict[str, Any],
) -> View:
    """The view model's frame: every kind has the same top-level keys."""
    return {
        "kind": kind.value, "language": language,
        "document": {"title": TITLES[kind][language], "reference": "", "notes": "", **document},
        "parties": {"company": dict(COMPANY), "supplier": None, "customer": None,
                    "warehouse": None, **parties},
        "lines": lines, "totals": totals, "extra": extra,
    }
