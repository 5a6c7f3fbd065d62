"""Shipping confirmation with its documents: the shipment is confirmed (sales' use case, its own
transaction), then the delivery note (出库单) and the shipping label are rendered with their
kinds' default templates and recorded against the shipment (template version and SHA-256).

Sales must not import documents, so this sits downstream and the confirmShipment mutation calls
it. The goods have left once the shipment commits: a template that fails to render must not undo
that. Then nothing is recorded (not one of the two: they are produced together or not at all) and
``warning`` says why; printing through the document URLs works again once the template is fixed.
A retry with the same idempotency key returns the documents recorded the first time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server.auth import Principal
from server.db import Database
from server.documents.models import DocumentKind, PrintedDocument
from server.documents.service import (
    ProducedDocument,
    documents_of_shipment,
    record_of,
    render_document,
)
from server.errors import DomainError
from server.sales import shipping
from server.sales.pick_queries import ShipmentView
from server.sales.shipping import ShipmentRequest

SHIPPING_DOCUMENTS = (DocumentKind.DELIVERY_NOTE, DocumentKind.SHIPPING_LABEL)


@dataclass(frozen=True, slots=True)
class ShippedWithDocuments:
    view: ShipmentView
    documents: list[ProducedDocument]
    # Why no documents were recorded although the shipment was confirmed; None when they were.
    warning: str | None = None


async def confirm_shipment_with_documents(
    db: Database, principal: Principal, request: ShipmentRequest
) -> ShippedWithDocuments:
    view = await shipping.confirm_shipment(db, principal, request)
    shipment = view.shipment
    async with db.reader() as session:
        recorded = await documents_of_shipment(session, shipment.id)
    if recorded:
        return ShippedWithDocuments(view, recorded)
    try:
        rendered = [await render_document(db, principal, kind, shipment.number)
                    for kind in SHIPPING_DOCUMENTS]
    except DomainError as error:
        return ShippedWithDocuments(view, [], warning=(
            f"{shipment.number} is shipped, but its documents could not be produced and none "
            f"was recorded: {error.problems[0].message}"))
    async with db.transaction() as session:
        already = await session.scalar(select(PrintedDocument.id).where(
            PrintedDocument.shipment_id == shipment.id).limit(1))
        if already is None:
            session.add_all(record_of(document, principal, shipment.id) for document in rendered)
            await session.flush()
        recorded = await documents_of_shipment(session, shipment.id)
    return ShippedWithDocuments(view, recorded)
