"""Who may change master data and what a supplier user may see of it.

Internal staff read all master data. A supplier user reads only its own supplier, its own
supplier items and the products it supplies; it never sees customers and never changes anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.auth import Principal, Role
from server.catalog.models import SupplierItem

PURCHASING_EDITORS = (Role.PURCHASER, Role.PURCHASE_MANAGER)
CUSTOMER_EDITORS = (Role.SALES,)


def supplier_scope(principal: Principal) -> int | None:
    """The supplier a reader is confined to, or ``None`` for internal staff (who see all)."""
    if principal.is_supplier:
        return principal.supplier_id
    principal.require_internal()
    return None


def visible_supplier_items(
    principal: Principal, items: Iterable[SupplierItem]
) -> list[SupplierItem]:
    scope = supplier_scope(principal)
    return [item for item in items if scope is None or item.supplier_id == scope]
