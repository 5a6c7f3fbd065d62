"""Purchase returns and their debit notes as the API shows them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from schema.approvals.types import ApprovalTask
from schema.catalog.types import Location, Product, Supplier, Warehouse
from schema.context import Info
from schema.errors import UserError
from server.finance import models as finance_models
from server.finance.returns import SupplierAccount as AccountRow
from server.inventory.models import Bucket
from server.purchasing import models
from server.purchasing.return_states import ReturnState

PurchaseReturnState = strawberry.enum(ReturnState, name="PurchaseReturnState")


@strawberry.enum(description="Where returned goods are taken from.")
class ReturnBucket(Enum):
    AVAILABLE = Bucket.AVAILABLE.value
    REJECTED = Bucket.REJECTED.value


@strawberry.type(description="A quantity of one PO line's goods going back, from one bin and "
                             "lot; one request line spanning several PO lines or bins gives "
                             "several of these.")
class PurchaseReturnLine:
    line_no: int
    request_index: int = strawberry.field(description="The input line it came from (0-based).")
    quantity: Decimal
    lot: str
    from_bucket: ReturnBucket
    unit_price: Decimal = strawberry.field(description="The PO price: what the supplier credits.")
    amount: Decimal
    reason: str
    cost: strawberry.Private[Decimal | None]
    product_id: strawberry.Private[int]
    location_id: strawberry.Private[int]
    order_line_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.PurchaseReturnLine) -> PurchaseReturnLine:
        return cls(line_no=row.line_no, request_index=row.request_index, quantity=row.quantity,
                   lot=row.lot, from_bucket=ReturnBucket(row.from_bucket),
                   unit_price=row.unit_price, amount=row.amount, reason=row.reason,
                   cost=row.unit_cost, product_id=row.product_id, location_id=row.location_id,
                   order_line_id=row.order_line_id)

    @strawberry.field(description="The moving-average cost the goods left at, set when shipped; "
                                  "our cost, so null for supplier users.")
    def unit_cost(self, info: Info) -> Decimal | None:
        return None if info.context.user().is_supplier else self.cost

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await info.context.loaders.product.load(self.product_id))

    @strawberry.field
    async def location(self, info: Info) -> Location:
        return Location.from_row(await info.context.loaders.location.load(self.location_id))

    @strawberry.field
    async def po_number(self, info: Info) -> str:
        return (await info.context.loaders.order_line_ref.load(self.order_line_id)).po_number

    @strawberry.field
    async def po_line_no(self, info: Info) -> int:
        return (await info.context.loaders.order_line_ref.load(self.order_line_id)).po_line_no


@strawberry.type(description="One returned PO line's credit; the applied part reduces an "
                             "invoice that billed those goods.")
class DebitNoteLine:
    line_no: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    applied_quantity: Decimal
    applied_amount: Decimal


@strawberry.type(description="The supplier's credit for a shipped return (a debit note on its "
                             "account), at the PO prices.")
class DebitNote:
    number: str
    currency: str
    amount: Decimal
    applied_amount: Decimal = strawberry.field(
        description="Set against what the supplier's invoices billed for these goods.")
    open_amount: Decimal = strawberry.field(
        description="Credit with no invoice to set against (goods never billed, usually "
                    "QC-rejected ones).")
    created_at: datetime
    lines: list[DebitNoteLine]

    @classmethod
    def from_row(cls, row: finance_models.DebitNote) -> DebitNote:
        return cls(number=row.number, currency=row.currency, amount=row.amount,
                   applied_amount=row.applied_amount,
                   open_amount=row.amount - row.applied_amount, created_at=row.created_at,
                   lines=[DebitNoteLine(line_no=line.line_no, quantity=line.quantity,
                                        unit_price=line.unit_price, amount=line.amount,
                                        applied_quantity=line.applied_quantity,
                                        applied_amount=line.applied_amount)
                          for line in row.lines])


@strawberry.type(description="Goods going back to a supplier (采购退货).")
class PurchaseReturn:
    id: strawberry.ID
    number: str = strawberry.field(description="PR-YYYY-NNNNNN.")
    state: PurchaseReturnState
    version: int
    currency: str
    total_amount: Decimal
    closed_comment: str | None = strawberry.field(
        description="Why it was cancelled, or the approver's comment on a rejection.")
    created_at: datetime
    approved_at: datetime | None
    shipped_at: datetime | None
    lines: list[PurchaseReturnLine]
    row_id: strawberry.Private[int]
    supplier_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.PurchaseReturn) -> PurchaseReturn:
        return cls(id=strawberry.ID(str(row.id)), number=row.number,
                   state=ReturnState(row.state), version=row.version, currency=row.currency,
                   total_amount=row.total_amount, closed_comment=row.closed_comment,
                   created_at=row.created_at, approved_at=row.approved_at,
                   shipped_at=row.shipped_at,
                   lines=[PurchaseReturnLine.from_row(line) for line in row.lines],
                   row_id=row.id, supplier_id=row.supplier_id, warehouse_id=row.warehouse_id)

    @strawberry.field
    async def supplier(self, info: Info) -> Supplier:
        return Supplier.from_row(await info.context.loaders.supplier.load(self.supplier_id))

    @strawberry.field
    async def warehouse(self, info: Info) -> Warehouse:
        return Warehouse.from_row(await info.context.loaders.warehouse.load(self.warehouse_id))

    @strawberry.field(description="Once shipped: the supplier's credit for these goods.")
    async def debit_note(self, info: Info) -> DebitNote | None:
        row = await info.context.loaders.debit_note_of_return.load(self.row_id)
        return DebitNote.from_row(row) if row else None

    @strawberry.field(description="Every approval decision on this return. Empty for supplier "
                                  "users.")
    async def approval_trail(self, info: Info) -> list[ApprovalTask]:
        if info.context.user().is_supplier:
            return []
        rows = await info.context.loaders.approval_trail_of_return.load(self.row_id)
        return [ApprovalTask.from_row(row) for row in rows]


@strawberry.type(description="Where we stand with a supplier: invoices that may be paid, less "
                             "the debit notes set against them.")
class SupplierAccount:
    supplier_code: str
    invoiced: Decimal
    credited: Decimal
    owed: Decimal
    open_credit: Decimal

    @classmethod
    def from_row(cls, row: AccountRow) -> SupplierAccount:
        return cls(supplier_code=row.supplier_code, invoiced=row.invoiced,
                   credited=row.credited, owed=row.owed, open_credit=row.open_credit)


@strawberry.type
class PurchaseReturnPayload:
    purchase_return: PurchaseReturn | None
    user_errors: list[UserError]


@strawberry.type(description="A change of a purchase return: created, approved, rejected, "
                             "cancelled, shipped.")
class PurchaseReturnEvent:
    cursor: str
    kind: str
    number: str
    state: str
    version: int
    total_amount: Decimal
    debit_note: str | None
    actor: str
    at: datetime
