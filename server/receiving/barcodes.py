"""What a scan is: a product (and how many units one scan counts), a bin, a purchase order, a
shipment notice, a pallet announced on one, or a document of a downstream area that registered
its numbers (a sales return). Reading the label is pda_client.gs1's job, so the
handheld and the server read it the same way; this module matches the read against our rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pda_client.gs1 import BarcodeError, Gs1Read, Symbology, gtin_candidates, read_barcode
from server.auth import Principal
from server.catalog.models import Location, Product, ProductBarcode
from server.db import AsyncSession, Database
from server.errors import DomainError, InvalidInput
from server.purchasing.models import PurchaseOrder, ShipmentNotice, ShipmentNoticeLine

MAX_CODE_LENGTH = 200
GS1_SYMBOLOGIES = {Symbology.GS1_128, Symbology.GS1_DATAMATRIX, Symbology.GS1_QR}


class BarcodeKind(StrEnum):
    PRODUCT = "PRODUCT"
    LOCATION = "LOCATION"
    PURCHASE_ORDER = "PURCHASE_ORDER"
    SHIPMENT_NOTICE = "SHIPMENT_NOTICE"
    PALLET = "PALLET"
    SALES_RETURN = "SALES_RETURN"
    TRANSFER = "TRANSFER"


class UnknownBarcode(DomainError):
    code = "UNKNOWN_BARCODE"


class MalformedBarcode(DomainError):
    code = "MALFORMED_BARCODE"


@dataclass(slots=True)
class Resolution:
    """The read and what it matched. ``purchase_order`` and ``shipment_notice`` come with their
    lines loaded; ``product`` is set for any read whose GTIN we know, a pallet label's too."""

    read: Gs1Read
    kind: BarcodeKind
    product: Product | None = None
    pack_quantity: Decimal | None = None
    location: Location | None = None
    purchase_order: PurchaseOrder | None = None
    shipment_notice: ShipmentNotice | None = None
    # The number of a downstream document a registered finder recognised.
    document_number: str | None = None


# Areas downstream of receiving (sales returns, transfers) tell which texts are their document
# numbers without receiving importing them: a finder answers the kind of document a text names,
# or None.
DocumentFinder = Callable[[AsyncSession, str], Awaitable[BarcodeKind | None]]
_document_finders: list[DocumentFinder] = []


def register_document_finder(finder: DocumentFinder) -> DocumentFinder:
    """Register ``finder`` (once; usable as a decorator); plain-text scans are tried on it."""
    if finder not in _document_finders:
        _document_finders.append(finder)
    return finder


async def resolve_barcode(db: Database, principal: Principal, code: str) -> Resolution:
    principal.require_internal()
    async with db.reader() as session:
        return await resolve_in_session(session, code)


async def resolve_in_session(
    session: AsyncSession, code: str, *, field: str = "code"
) -> Resolution:
    """Resolve a scan inside the caller's transaction, without a role check (the caller made
    it). UNKNOWN_BARCODE, MALFORMED_BARCODE or INVALID_INPUT name ``field``."""
    if not code.strip():
        raise InvalidInput("the scan is empty", field=field)
    if len(code) > MAX_CODE_LENGTH:
        raise InvalidInput(f"a barcode has at most {MAX_CODE_LENGTH} characters", field=field)
    try:
        read = read_barcode(code)
    except BarcodeError as error:
        # A code of ours may look like a broken EAN or GS1 string (an all-digit bin code):
        # taken verbatim it still counts; otherwise the scan is malformed.
        text = code.strip()
        as_text = Gs1Read(code, Symbology.PLAIN, plain=text,
                          warnings=(f"not a valid barcode ({error}); matched as typed",))
        resolution = await _match_text(session, as_text, text)
        if resolution is None:
            raise MalformedBarcode(str(error), field=field) from error
        return resolution
    resolution = await _match(session, read)
    if resolution is None:
        raise UnknownBarcode(f"nothing here is known by the barcode {code.strip()!r}",
                             field=field)
    return resolution


async def _match(session: AsyncSession, read: Gs1Read) -> Resolution | None:
    """GS1 AI 00 names a pallet, AI 400 an order, a GTIN a product; plain text is tried
    against our own numbers and codes."""
    product, pack_quantity = await _product_of_gtin(session, read.gtin)
    if read.sscc and (pallet := await _notice_of_sscc(session, read.sscc)):
        return Resolution(read, BarcodeKind.PALLET, product, pack_quantity,
                          purchase_order=pallet[1], shipment_notice=pallet[0])
    if read.po_number and (order := await _order(session, read.po_number)):
        return Resolution(read, BarcodeKind.PURCHASE_ORDER, product, pack_quantity,
                          purchase_order=order)
    if product is not None:
        return Resolution(read, BarcodeKind.PRODUCT, product, pack_quantity)
    if read.symbology in GS1_SYMBOLOGIES:
        return None
    return await _match_text(session, read, read.plain or read.raw.strip())


async def _match_text(session: AsyncSession, read: Gs1Read, text: str) -> Resolution | None:
    """Our documents are addressed by their numbers and bins by their codes, which are also
    their barcodes; some products carry in-house barcodes that are no GTIN. A SKU is not one."""
    if order := await _order(session, text):
        return Resolution(read, BarcodeKind.PURCHASE_ORDER, purchase_order=order)
    notice = await session.scalar(select(ShipmentNotice).where(ShipmentNotice.number == text)
                                  .options(selectinload(ShipmentNotice.lines)))
    if notice is not None:
        order = await _order_of_id(session, notice.order_id)
        return Resolution(read, BarcodeKind.SHIPMENT_NOTICE, purchase_order=order,
                          shipment_notice=notice)
    for finder in list(_document_finders):
        if kind := await finder(session, text):
            return Resolution(read, kind, document_number=text)
    location = await session.scalar(select(Location).where(Location.code == text))
    if location is not None:
        return Resolution(read, BarcodeKind.LOCATION, location=location)
    row = (await session.execute(
        select(Product, ProductBarcode.pack_quantity)
        .join(ProductBarcode, ProductBarcode.product_id == Product.id)
        .where(ProductBarcode.barcode == text))).first()
    if row is not None:
        return Resolution(read, BarcodeKind.PRODUCT, row[0], row[1])
    return None


async def _product_of_gtin(
    session: AsyncSession, gtin: str | None
) -> tuple[Product | None, Decimal | None]:
    """The product whose barcode is this GTIN as scanned or in another length (a GS1 label
    carries GTIN-14, the catalogue mostly EAN-13), with that barcode's pack quantity."""
    if gtin is None:
        return None, None
    forms = gtin_candidates(gtin)
    rows = (await session.execute(
        select(ProductBarcode.barcode, Product, ProductBarcode.pack_quantity)
        .join(Product, Product.id == ProductBarcode.product_id)
        .where(ProductBarcode.barcode.in_(forms)))).all()
    if not rows:
        return None, None
    _, product, pack_quantity = min(rows, key=lambda row: forms.index(row[0]))
    return product, pack_quantity


async def _notice_of_sscc(
    session: AsyncSession, sscc: str
) -> tuple[ShipmentNotice, PurchaseOrder] | None:
    """The latest notice announcing this pallet (an SSCC may label several of its lines)."""
    notice_id = await session.scalar(
        select(ShipmentNoticeLine.notice_id).where(ShipmentNoticeLine.sscc == sscc)
        .order_by(ShipmentNoticeLine.id.desc()).limit(1))
    if notice_id is None:
        return None
    notice = await session.scalar(select(ShipmentNotice).where(ShipmentNotice.id == notice_id)
                                  .options(selectinload(ShipmentNotice.lines)))
    assert notice is not None
    return notice, await _order_of_id(session, notice.order_id)


async def _order(session: AsyncSession, number: str) -> PurchaseOrder | None:
    return await session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number)
                                .options(selectinload(PurchaseOrder.lines)))


async def _order_of_id(session: AsyncSession, order_id: int) -> PurchaseOrder:
    order = await session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == order_id)
                                 .options(selectinload(PurchaseOrder.lines)))
    assert order is not None  # a notice's order_id is a foreign key
    return order
