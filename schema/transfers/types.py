"""Transfer types: the document with its lines, pick lines and travelling lots."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.sales.picking import PickLineStatusKind
from server.sales.models import PickLineStatus
from server.transfers import queries
from server.transfers.models import TransferState
from server.transfers.queries import Direction

TransferStateKind = strawberry.enum(TransferState, name="TransferState")
TransferDirection = strawberry.enum(Direction, name="TransferDirection")


@strawberry.type(description="A lot of a transfer line that left the source, at the unit cost "
                             "it left at; the destination receives it at that cost.")
class TravellingLot:
    lot: str
    quantity: Decimal
    unit_cost: Decimal
    received: Decimal
    in_transit: Decimal


@strawberry.type(description="One product to move.")
class TransferLine:
    line_no: int
    sku: str
    requested: Decimal
    quantity: Decimal = strawberry.field(
        description="What the transfer moves: requested less what short picks found nowhere.")
    picked: Decimal
    shipped: Decimal
    received: Decimal
    lots: list[TravellingLot]


@strawberry.type(description="Pick so much of a product (and lot) from a bin of the source: the "
                             "transfer is its own pick list.")
class TransferPick:
    line_no: int
    transfer_line_no: int
    sku: str
    bin_code: str = strawberry.field(description="The bin to pick from; its code is its barcode.")
    lot: str
    quantity: Decimal
    picked: Decimal
    short: Decimal
    remaining: Decimal
    short_reason: str | None
    status: PickLineStatusKind
    task_id: strawberry.ID | None = strawberry.field(description="Its PICK warehouse task.")


@strawberry.type(description="A transfer (TR, 调拨) from one warehouse to another.")
class Transfer:
    number: str
    from_warehouse_code: str
    to_warehouse_code: str
    state: TransferStateKind
    version: int = strawberry.field(description="Send it back as basedOnVersion.")
    note: str
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    lines: list[TransferLine]
    picks: list[TransferPick]

    @classmethod
    def from_view(cls, view: queries.TransferView) -> Transfer:
        row = view.transfer
        line_nos = {line.line.id: line.line.line_no for line in view.lines}
        return cls(
            number=row.number, from_warehouse_code=view.from_warehouse_code,
            to_warehouse_code=view.to_warehouse_code, state=TransferState(row.state),
            version=row.version, note=row.note, created_at=row.created_at,
            shipped_at=row.shipped_at, received_at=row.received_at,
            lines=[TransferLine(
                line_no=line.line.line_no, sku=line.sku, requested=line.line.requested_quantity,
                quantity=line.line.quantity, picked=line.line.picked_quantity,
                shipped=line.line.shipped_quantity, received=line.line.received_quantity,
                lots=[TravellingLot(lot=lot.lot, quantity=lot.quantity, unit_cost=lot.unit_cost,
                                    received=lot.received_quantity,
                                    in_transit=lot.quantity - lot.received_quantity)
                      for lot in line.lots]) for line in view.lines],
            picks=[TransferPick(
                line_no=pick.pick.line_no, transfer_line_no=line_nos[pick.pick.transfer_line_id],
                sku=pick.sku, bin_code=pick.bin_code, lot=pick.pick.lot,
                quantity=pick.pick.quantity, picked=pick.pick.picked_quantity,
                short=pick.pick.short_quantity,
                remaining=pick.pick.quantity - pick.pick.picked_quantity
                - pick.pick.short_quantity,
                short_reason=pick.pick.short_reason, status=PickLineStatus(pick.pick.status),
                task_id=strawberry.ID(str(pick.pick.task_id))
                if pick.pick.task_id is not None else None) for pick in view.picks],
        )
