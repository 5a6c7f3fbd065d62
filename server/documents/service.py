"""Printing a document: its view model from the real data, the template (named, else the kind's
default), the PDF, and the record of what was produced (kind, number, template version, SHA-256).

Three short steps, not one transaction: the template and view are read (installing the built-in
template the first time), the PDF is laid out in a worker thread with no transaction open (it
takes up to seconds and must not hold SQLite's writer), then the record is written. A render
failure raises ``TemplateRenderError`` and records nothing."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.db import Database, utcnow
from server.documents.models import (
    DocumentKind,
    PrintedDocument,
    PrintTemplate,
    PrintTemplateVersion,
)
from server.documents.rendering import render_pdf
from server.documents.templates import template_for
from server.documents.views import document_view
from server.documents.views_common import View, checked_language, document_kind


@dataclass(frozen=True, slots=True)
class DocumentPdf:
    content: bytes
    filename: str
    kind: DocumentKind
    number: str
    template_version_id: int
    template_version: int
    sha256: str


@dataclass(frozen=True, slots=True)
class _Prepared:
    view: View
    html: str
    css: str
    template_version_id: int
    template_version: int


def document_url(kind: DocumentKind | str, number: str) -> str:
    """Where the PDF of a document is served, relative to the server (same bearer token)."""
    return f"/documents/{DocumentKind(kind).value}/{number}.pdf"


def filename_of(kind: DocumentKind, number: str) -> str:
    # Three kinds share the shipment's number: the kind keeps their files apart.
    return f"{number}-{kind.value.replace('_', '-')}.pdf"


async def _prepare(
    session: AsyncSession, principal: Principal, kind: DocumentKind, number: str,
    template_name: str | None, language: str | None,
) -> _Prepared:
    version = await template_for(session, kind, template_name)
    template = await session.get_one(PrintTemplate, version.template_id)
    view = await document_view(session, principal, kind, number, language or template.language)
    return _Prepared(view, version.html, version.css, version.id, version.version)


async def render_document(
    db: Database, principal: Principal, kind: DocumentKind | str, number: str,
    template_name: str | None = None, language: str | None = None,
) -> DocumentPdf:
    """The PDF, not recorded. A caller who may not see the document gets NotFound, and the
    built-in template installed on the way is rolled back with it."""
    checked_kind = document_kind(kind)
    if language is not None:
        checked_language(language)
    async with db.transaction() as session:
        prepared = await _prepare(session, principal, checked_kind, number, template_name,
                                  language)
    content = await asyncio.to_thread(render_pdf, prepared.html, prepared.css, prepared.view)
    return DocumentPdf(content, filename_of(checked_kind, number), checked_kind, number,
                       prepared.template_version_id, prepared.template_version,
                       hashlib.sha256(content).hexdigest())


def record_of(
    document: DocumentPdf, principal: Principal, shipment_id: int | None = None
) -> PrintedDocument:
    return PrintedDocument(
        kind=document.kind.value, document_number=document.number,
        template_version_id=document.template_version_id, shipment_id=shipment_id,
        sha256=document.sha256, produced_by_id=principal.user_id, produced_at=utcnow())


async def document_pdf(
    db: Database, principal: Principal, kind: DocumentKind | str, number: str,
    template_name: str | None = None, language: str | None = None,
) -> DocumentPdf:
    """The document as a PDF (``language`` zh or en, else the template's own), recorded as
    produced by the principal."""
    document = await render_document(db, principal, kind, number, template_name, language)
    async with db.transaction() as session:
        session.add(record_of(document, principal))
    return document


@dataclass(frozen=True, slots=True)
class ProducedDocument:
    kind: str
    number: str
    template_version: int
    sha256: str
    produced_at: datetime

    @property
    def url(self) -> str:
        return document_url(self.kind, self.number)


async def documents_of_shipment(
    session: AsyncSession, shipment_id: int
) -> list[ProducedDocument]:
    """The documents recorded for a shipment when it was confirmed, oldest first."""
    rows = await session.execute(
        select(PrintedDocument, PrintTemplateVersion.version)
        .join(PrintTemplateVersion, PrintTemplateVersion.id == PrintedDocument.template_version_id)
        .where(PrintedDocument.shipment_id == shipment_id).order_by(PrintedDocument.id))
    return [ProducedDocument(row.kind, row.document_number, version, row.sha256,
                             row.produced_at) for row, version in rows]
