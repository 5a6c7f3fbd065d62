"""Print templates kept as data: saved by admins as new immutable versions, read back by kind,
and looked up for printing.

Each kind always has exactly one default once it has any template: the built-in one (from
``server/documents/defaults/<kind>.html`` with the shared ``base.css``) is installed as version 1
the first time a kind is printed, listed or saved, so a kind can never be left without a default.
Saving checks the template first (syntax errors with line and column), and refuses a stale
``based_on_version`` (STALE_VERSION) so two editors cannot overwrite each other unknowingly.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select, update

from server.auth import Principal, Role
from server.db import AsyncSession, Database, upsert_insert, utcnow
from server.documents.models import DocumentKind, PrintTemplate, PrintTemplateVersion
from server.documents.rendering import check_template, render_pdf
from server.documents.samples import sample_view
from server.documents.views_common import checked_language, document_kind
from server.errors import DomainError, InvalidInput, InvalidState, NotFound

# Templates decide what every printed document shows (prices, addresses, barcodes): a change is
# an administrator's, not a buyer's.
TEMPLATE_EDITORS = (Role.ADMIN,)
DEFAULTS_DIR = Path(__file__).parent / "defaults"
MAX_NAME_LENGTH = 100
MAX_SOURCE_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    kind: str
    name: str
    html: str
    css: str = ""
    language: str = "zh"
    is_default: bool = False
    based_on_version: int | None = None


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """A template with its current version's content."""

    template: PrintTemplate
    version: PrintTemplateVersion


def builtin_name(kind: DocumentKind) -> str:
    return f"{kind.value}-builtin"


def _builtin_source(kind: DocumentKind) -> tuple[str, str]:
    html_path, css_path = DEFAULTS_DIR / f"{kind.value}.html", DEFAULTS_DIR / "base.css"
    if not html_path.is_file() or not css_path.is_file():
        raise InvalidState(f"there is no built-in {kind.value} template to install", field="kind")
    return html_path.read_text(encoding="utf-8"), css_path.read_text(encoding="utf-8")


async def _default(session: AsyncSession, kind: DocumentKind) -> PrintTemplate | None:
    return await session.scalar(select(PrintTemplate).where(
        PrintTemplate.kind == kind.value, PrintTemplate.is_default.is_(True)))


async def _has_template(session: AsyncSession, kind: DocumentKind) -> bool:
    return await session.scalar(select(PrintTemplate.id).where(
        PrintTemplate.kind == kind.value).limit(1)) is not None


async def _install_builtin(session: AsyncSession, kind: DocumentKind) -> None:
    """The built-in template as the kind's default, version 1. Two sessions installing at once
    both succeed: the loser's insert does nothing."""
    html, css = _builtin_source(kind)
    template_id = await session.scalar(
        upsert_insert(session, PrintTemplate).values(
            kind=kind.value, name=builtin_name(kind), language="zh", is_default=True,
            current_version=1, updated_at=utcnow())
        .on_conflict_do_nothing().returning(PrintTemplate.id))
    if template_id is not None:
        session.add(PrintTemplateVersion(template_id=template_id, version=1, html=html, css=css,
                                         created_by_id=None))
        await session.flush()


async def _ensure_builtin(session: AsyncSession, kind: DocumentKind) -> None:
    if not await _has_template(session, kind):
        await _install_builtin(session, kind)


async def _version(session: AsyncSession, template: PrintTemplate) -> PrintTemplateVersion:
    version = await session.scalar(select(PrintTemplateVersion).where(
        PrintTemplateVersion.template_id == template.id,
        PrintTemplateVersion.version == template.current_version))
    if version is None:
        raise InvalidState(f"template {template.name!r} has no version "
                           f"{template.current_version}")
    return version


async def template_for(
    session: AsyncSession, kind: DocumentKind, name: str | None = None
) -> PrintTemplateVersion:
    """The current version of the template ``name`` (of this kind), else of the kind's default,
    installing the built-in one when the kind has no template yet. Writes only then: call it in
    a transaction."""
    if name:
        template = await session.scalar(select(PrintTemplate).where(PrintTemplate.name == name))
        if template is None or template.kind != kind.value:
            raise NotFound(f"no {kind.value} template named {name!r}", field="template")
        return await _version(session, template)
    template = await _default(session, kind)
    if template is None:
        await _install_builtin(session, kind)
        template = await _default(session, kind)
    if template is None:
        raise InvalidState(f"{kind.value} templates exist but none is the default")
    return await _version(session, template)


async def print_templates(
    db: Database, principal: Principal, kind: str | None = None
) -> list[StoredTemplate]:
    """Templates with their current content by kind then name; staff only. Built-in ones not
    installed yet are installed first, so an editor always sees the default to start from."""
    principal.require_internal()
    kinds = [document_kind(kind)] if kind else list(DocumentKind)
    async with db.transaction() as session:
        for each in kinds:
            if (DEFAULTS_DIR / f"{each.value}.html").is_file():
                await _ensure_builtin(session, each)
        rows = await session.execute(
            select(PrintTemplate, PrintTemplateVersion)
            .join(PrintTemplateVersion, (PrintTemplateVersion.template_id == PrintTemplate.id)
                  & (PrintTemplateVersion.version == PrintTemplate.current_version))
            .where(PrintTemplate.kind.in_([each.value for each in kinds]))
            .order_by(PrintTemplate.kind, PrintTemplate.name))
        return [StoredTemplate(template, version) for template, version in rows.all()]


def _checked(draft: TemplateDraft) -> tuple[DocumentKind, str]:
    kind = document_kind(draft.kind)
    checked_language(draft.language)
    name = draft.name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidInput(f"a template name has 1 to {MAX_NAME_LENGTH} characters", field="name")
    for field, source in (("html", draft.html), ("css", draft.css)):
        if len(source) > MAX_SOURCE_CHARS:
            raise InvalidInput(f"{field} is over {MAX_SOURCE_CHARS} characters", field=field)
    check_template(draft.html, draft.css)
    return kind, name


async def save_print_template(
    db: Database, principal: Principal, draft: TemplateDraft
) -> StoredTemplate:
    """Create the template of that name or add a version to it (admins only). Refused: a template
    that does not check, a name already used by another kind, a stale ``based_on_version`` (0 for
    a new template), and taking the default away (make another template the default instead)."""
    principal.require(*TEMPLATE_EDITORS)
    kind, name = _checked(draft)
    async with db.transaction() as session:
        await _ensure_builtin(session, kind)
        template = await session.scalar(
            select(PrintTemplate).where(PrintTemplate.name == name).with_for_update())
        current = template.current_version if template else 0
        if draft.based_on_version is not None and draft.based_on_version != current:
            raise DomainError(f"template {name!r} is at version {current}, not "
                              f"{draft.based_on_version}; reload it", field="basedOnVersion",
                              code="STALE_VERSION")
        if template is not None and template.kind != kind.value:
            raise InvalidInput(f"{name!r} is a {template.kind} template", field="name")
        if template is not None and template.is_default and not draft.is_default:
            raise InvalidInput(f"{name!r} is the default {kind.value} template; make another "
                               f"one the default instead", field="isDefault")
        if draft.is_default and not (template and template.is_default):
            # Cleared first: the unique index allows one default per kind at any moment.
            await session.execute(update(PrintTemplate).where(
                PrintTemplate.kind == kind.value, PrintTemplate.is_default.is_(True))
                .values(is_default=False))
        if template is None:
            template = PrintTemplate(kind=kind.value, name=name, current_version=0)
            session.add(template)
        template.language = draft.language
        template.is_default = draft.is_default
        template.current_version = current + 1
        template.updated_at = utcnow()
        await session.flush()
        version = PrintTemplateVersion(template_id=template.id, version=current + 1,
                                       html=draft.html, css=draft.css,
                                       created_by_id=principal.user_id)
        session.add(version)
        await session.flush()
        return StoredTemplate(template, version)



@dataclass(frozen=True, slots=True)
class Preview:
    pdf: bytes
    pages: int
    text: str


def _preview(kind: DocumentKind, language: str, html: str, css: str) -> Preview:
    pdf = render_pdf(html, css, sample_view(kind, language))
    reader = PdfReader(BytesIO(pdf))
    return Preview(pdf, len(reader.pages), "\n".join(page.extract_text() for page in reader.pages))


async def preview_print_template(
    principal: Principal, kind: str, html: str, css: str, language: str
) -> Preview:
    """The template rendered on the sample document of its kind (admins only: it is the editor's
    tool), with its page count and text. Laid out in a worker thread: it takes up to seconds."""
    principal.require(*TEMPLATE_EDITORS)
    checked_kind = document_kind(kind)
    checked_language(language)
    check_template(html, css)
    return await asyncio.to_thread(_preview, checked_kind, language, html, css)
