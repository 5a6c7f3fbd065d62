"""Reading transfers: one by number (locked for a use case, or as a view with business keys) and a
warehouse's incoming or outgoing transfers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.auth import Principal
from server.catalog.models import Location, Product, Warehouse
from server.catalog.queries import PageRequest
from server.catalog.service import warehouse_by_code
from server.db import Database
from server.errors import DomainError, InvalidState, NotFound
from server.event_hub import EventHub
from server.event_log import EventFilter, Position, StoredEvent
from server.event_stream import follow
from server.pagination import Page, paginate
from server.receiving.barcodes import BarcodeKind, register_document_finder
from server.transfers.events import TOPIC, TRANSFER_KINDS
from server.transfers.models import Transfer, TransferLine, TransferLot, TransferPick


class Direction(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


@dataclass(frozen=True, slots=True)
class LineView:
    line: TransferLine
    sku: str
    lots: list[TransferLot]


@dataclass(frozen=True, slots=True)
class PickView:
    pick: TransferPick
    sku: str
    bin_code: str


@dataclass(frozen=True, slots=True)
class TransferView:
    transfer: Transfer
    from_warehouse_code: str
    to_warehouse_code: str
    lines: list[LineView]
    picks: list[PickView]


@register_document_finder
async def transfer_of_scan(session: AsyncSession, text: str) -> BarcodeKind | None:
    """A scanned transfer number, for resolveBarcode: the destination starts receiving with it,
    the source picking."""
    found = await session.scalar(select(Transfer.id).where(Transfer.number == text))
    return BarcodeKind.TRANSFER if found is not None else None


async def load_transfer(session: AsyncSession, number: str, *, lock: bool = False) -> Transfer:
    stmt = select(Transfer).where(Transfer.number == number.strip()).options(
        selectinload(Transfer.lines), selectinload(Transfer.picks))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    transfer = await session.scalar(stmt)
    if transfer is None:
        raise NotFound(f"no transfer {number.strip()!r}", field="transferNumber")
    return transfer


async def lock_transfer(
    session: AsyncSession, number: str, states: frozenset[str], based_on_version: int | None
) -> Transfer:
    """The transfer, locked; INVALID_STATE outside ``states``, STALE_VERSION when it moved on
    since the version the device showed."""
    transfer = await load_transfer(session, number, lock=True)
    if transfer.state not in states:
        raise InvalidState(f"{transfer.number} is {transfer.state}", field="transferNumber")
    if based_on_version is not None and based_on_version != transfer.version:
        raise DomainError(f"{transfer.number} changed since version {based_on_version}: it is "
                          f"now version {transfer.version}; reload it", field="basedOnVersion",
                          code="STALE_VERSION")
    return transfer


async def transfer_view(session: AsyncSession, number: str) -> TransferView:
    return (await views_of(session, [await load_transfer(session, number)]))[0]


async def transfer_of(
    session: AsyncSession, principal: Principal, number: str
) -> TransferView | None:
    principal.require_internal()
    try:
        return await transfer_view(session, number)
    except NotFound:
        return None


async def views_of(session: AsyncSession, transfers: Sequence[Transfer]) -> list[TransferView]:
    """Views of transfers loaded with their lines and picks."""
    lines = [line for transfer in transfers for line in transfer.lines]
    picks = [pick for transfer in transfers for pick in transfer.picks]
    skus = dict((await session.execute(select(Product.id, Product.sku).where(
        Product.id.in_({line.product_id for line in lines})))).all())
    codes = dict((await session.execute(select(Warehouse.id, Warehouse.code).where(
        Warehouse.id.in_({w for t in transfers for w in (t.from_warehouse_id,
                                                          t.to_warehouse_id)})))).all())
    bins = dict((await session.execute(select(Location.id, Location.code).where(
        Location.id.in_({pick.location_id for pick in picks})))).all())
    lots: dict[int, list[TransferLot]] = defaultdict(list)
    for lot in await session.scalars(select(TransferLot).where(
            TransferLot.transfer_line_id.in_([line.id for line in lines]))
            .order_by(TransferLot.id)):
        lots[lot.transfer_line_id].append(lot)
    return [TransferView(
        transfer, codes[transfer.from_warehouse_id], codes[transfer.to_warehouse_id],
        [LineView(line, skus[line.product_id], lots[line.id]) for line in transfer.lines],
        [PickView(pick, skus[pick.product_id], bins[pick.location_id])
         for pick in transfer.picks],
    ) for transfer in transfers]


async def transfers_of(
    session: AsyncSession, principal: Principal, warehouse_code: str, direction: Direction,
    states: Sequence[str] | None, page: PageRequest,
) -> Page[TransferView]:
    """A warehouse's transfers in one direction, newest first: incoming ones are what its
    projected stock counts as in transit."""
    principal.require_internal()
    warehouse = await warehouse_by_code(session, warehouse_code, "warehouseCode")
    side = (Transfer.to_warehouse_id if direction is Direction.INCOMING
            else Transfer.from_warehouse_id)
    stmt = select(Transfer).where(side == warehouse.id).options(
        selectinload(Transfer.lines), selectinload(Transfer.picks))
    if states:
        stmt = stmt.where(Transfer.state.in_(list(states)))
    found = await paginate(session, stmt, Transfer.id, first=page.first, after=page.after,
                           max_page_size=page.max_page_size, newest_first=True)
    views = await views_of(session, found.rows)
    return Page(views, found.cursors, found.has_next_page, found.has_previous_page)


async def transfer_feed(
    db: Database, hub: EventHub, principal: Principal, warehouse_code: str, after: str | None
) -> AsyncIterator[StoredEvent]:
    """A warehouse's transfer status events, both directions (replayed after ``after``, then
    live); errors surface here, before the first event."""
    principal.require_internal()
    position = Position.from_cursor(after) if after is not None else None
    async with db.reader() as session:
        warehouse = await warehouse_by_code(session, warehouse_code, "warehouseCode")
    where = EventFilter(topic=TOPIC, kinds=TRANSFER_KINDS, warehouse_id=warehouse.id)
    return follow(hub, db, where, position)
