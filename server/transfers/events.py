"""Transfer status events: one per warehouse involved, so the source's and the destination's
screens each hear that a transfer was created, picked, shipped, received or cancelled."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.events import record_event
from server.transfers.models import Transfer

TOPIC = "transfer"
DOCUMENT_TYPE = "TR"
TRANSFER_CREATED = "TRANSFER_CREATED"
TRANSFER_PICKED = "TRANSFER_PICKED"
TRANSFER_SHIPPED = "TRANSFER_SHIPPED"
TRANSFER_RECEIVED = "TRANSFER_RECEIVED"
TRANSFER_CANCELLED = "TRANSFER_CANCELLED"
TRANSFER_KINDS = frozenset({TRANSFER_CREATED, TRANSFER_PICKED, TRANSFER_SHIPPED,
                            TRANSFER_RECEIVED, TRANSFER_CANCELLED})


async def transfer_event(
    session: AsyncSession, transfer: Transfer, kind: str, codes: tuple[str, str]
) -> None:
    """``codes``: the source's and the destination's warehouse codes, for the payload."""
    for warehouse_id in (transfer.from_warehouse_id, transfer.to_warehouse_id):
        await record_event(
            session, topic=TOPIC, kind=kind, warehouse_id=warehouse_id,
            document_type=DOCUMENT_TYPE, document_number=transfer.number,
            payload={"number": transfer.number, "state": transfer.state,
                     "version": transfer.version, "fromWarehouseCode": codes[0],
                     "toWarehouseCode": codes[1],
                     "direction": "outgoing" if warehouse_id == transfer.from_warehouse_id
                     else "incoming"},
        )
