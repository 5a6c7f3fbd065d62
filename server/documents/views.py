"""The view model a print template sees, built from the real data (see views_common.py for its
frame). ``document_view`` answers one document by kind and number with the same visibility as
GraphQL: a supplier user sees only its own purchase orders and shipping notices; everything else
is for staff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.documents import views_purchasing, views_sales
from server.documents.models import DocumentKind
from server.documents.views_common import View, checked_language, document_kind

ViewBuilder = Callable[[AsyncSession, Principal, str, str], Awaitable[View]]

BUILDERS: dict[DocumentKind, ViewBuilder] = {
    DocumentKind.PURCHASE_ORDER: views_purchasing.purchase_order_view,
    DocumentKind.ASN_LABEL: views_purchasing.asn_label_view,
    DocumentKind.RECEIPT: views_purchasing.receipt_view,
    DocumentKind.PICK_LIST: views_sales.pick_list_view,
    DocumentKind.DELIVERY_NOTE: views_sales.delivery_note_view,
    DocumentKind.SHIPPING_LABEL: views_sales.shipping_label_view,
    DocumentKind.INVOICE: views_sales.invoice_view,
}


async def document_view(
    session: AsyncSession, principal: Principal, kind: DocumentKind | str, number: str,
    language: str,
) -> View:
    """The view model of one document; NotFound when it does not exist or the principal may not
    see it (a supplier is not told which numbers exist)."""
    return await BUILDERS[document_kind(kind)](
        session, principal, number, checked_language(language))
