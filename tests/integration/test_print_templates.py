"""Print templates kept as data, on both databases: versions, one default per kind, the built-in
default installed on first use, stale saves and bad templates refused with nothing written."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from server.auth import Principal, Role
from server.db import Database
from server.documents import templates
from server.documents.models import DocumentKind, PrintTemplate, PrintTemplateVersion
from server.documents.samples import sample_view
from server.documents.templates import TemplateDraft, builtin_name
from server.errors import DomainError, Forbidden, InvalidInput, NotFound
from tests.conftest import UserFactory

COMPACT = TemplateDraft(kind="pick_list", name="pick list compact",
                        html="<h1>{{ document.number }}</h1>{% for line in lines %}"
                             "<p>{{ line.bin }} {{ line.sku }}</p>{% endfor %}",
                        css="h1 { font-size: 12pt }", language="en")


async def _counts(db: Database) -> tuple[int, int]:
    async with db.reader() as session:
        return (await session.scalar(select(func.count()).select_from(PrintTemplate)) or 0,
                await session.scalar(select(func.count()).select_from(PrintTemplateVersion))
                or 0)


async def test_first_use_installs_the_builtin_default(db: Database) -> None:
    async with db.transaction() as session:
        version = await templates.template_for(session, DocumentKind.PICK_LIST)
        again = await templates.template_for(session, DocumentKind.PICK_LIST)
    assert version.version == 1 and again.id == version.id
    assert version.html == (templates.DEFAULTS_DIR / "pick_list.html").read_text("utf-8")
    assert version.css == (templates.DEFAULTS_DIR / "base.css").read_text("utf-8")
    async with db.reader() as session:
        template = await session.get_one(PrintTemplate, version.template_id)
    assert (template.name, template.kind, template.is_default) == (
        builtin_name(DocumentKind.PICK_LIST), "pick_list", True)


async def test_builtin_installed_once_under_concurrent_first_prints(db: Database) -> None:
    async def first_print() -> int:
        async with db.transaction() as session:
            return (await templates.template_for(session, DocumentKind.INVOICE)).id

    ids = await asyncio.gather(*(first_print() for _ in range(4)))
    assert len(set(ids)) == 1
    assert await _counts(db) == (1, 1)


async def test_saves_make_versions_and_keep_old_ones(db: Database, admin: Principal) -> None:
    first = await templates.save_print_template(db, admin, COMPACT)
    assert (first.template.current_version, first.version.version) == (1, 1)
    assert first.version.created_by_id == admin.user_id
    second = await templates.save_print_template(
        db, admin, replace(COMPACT, html="<p>v2</p>", based_on_version=1))
    assert second.version.version == 2 and second.template.id == first.template.id
    async with db.reader() as session:
        versions = list(await session.scalars(select(PrintTemplateVersion.html).where(
            PrintTemplateVersion.template_id == first.template.id)
            .order_by(PrintTemplateVersion.version)))
        current = await templates.template_for(session, DocumentKind.PICK_LIST,
                                               "pick list compact")
    assert versions == [COMPACT.html, "<p>v2</p>"]
    assert current.html == "<p>v2</p>"


async def test_stale_version_is_refused(db: Database, admin: Principal) -> None:
    await templates.save_print_template(db, admin, COMPACT)
    await templates.save_print_template(db, admin, replace(COMPACT, based_on_version=1))
    before = await _counts(db)
    with pytest.raises(DomainError) as caught:
        await templates.save_print_template(
            db, admin, replace(COMPACT, based_on_version=1))
    assert caught.value.problems[0].code == "STALE_VERSION"
    assert caught.value.problems[0].field == "basedOnVersion"
    with pytest.raises(DomainError, match="at version 0"):
        await templates.save_print_template(
            db, admin, replace(COMPACT, name="new one", based_on_version=3))
    assert await _counts(db) == before


async def test_one_default_per_kind(db: Database, admin: Principal) -> None:
    await templates.save_print_template(db, admin, replace(COMPACT, is_default=True))
    async with db.transaction() as session:
        assert (await templates.template_for(session, DocumentKind.PICK_LIST)).html == COMPACT.html
    listed = await templates.print_templates(db, admin, "pick_list")
    assert [(t.template.name, t.template.is_default) for t in listed] == [
        ("pick list compact", True), ("pick_list-builtin", False)]

    with pytest.raises(InvalidInput, match="make another one the default"):
        await templates.save_print_template(db, admin, COMPACT)
    builtin = TemplateDraft(kind="pick_list", name="pick_list-builtin",
                            html=listed[1].version.html, css=listed[1].version.css,
                            is_default=True)
    assert (await templates.save_print_template(db, admin, builtin)).version.version == 2
    listed = await templates.print_templates(db, admin, "pick_list")
    assert [t.template.is_default for t in listed] == [False, True]


async def test_listing_shows_every_kinds_builtin(db: Database, make_user: UserFactory) -> None:
    clerk = await make_user(Role.WAREHOUSE)
    listed = await templates.print_templates(db, clerk)
    assert sorted(t.template.kind for t in listed) == sorted(kind.value for kind in DocumentKind)
    assert all(t.template.is_default and t.version.version == 1 for t in listed)


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"html": "<p>{{ document.number </p>"}, InvalidInput, "line 1, column"),
    ({"html": "{% include 'x.html' %}"}, InvalidInput, "cannot include"),
    ({"css": "p { color red }"}, InvalidInput, "CSS line 1"),
    ({"kind": "memo"}, InvalidInput, "no document kind 'memo'"),
    ({"language": "fr"}, InvalidInput, "language must be one of"),
    ({"name": "  "}, InvalidInput, "1 to 100 characters"),
    ({"name": "invoice-builtin"}, InvalidInput, "is a invoice template"),
])
async def test_bad_drafts_are_refused_and_nothing_is_written(
    db: Database, admin: Principal, change: dict[str, str], error: type[DomainError],
    message: str,
) -> None:
    async with db.transaction() as session:
        await templates.template_for(session, DocumentKind.INVOICE)
    before = await _counts(db)
    with pytest.raises(error, match=message):
        await templates.save_print_template(db, admin, replace(COMPACT, **change))
    assert await _counts(db) == before


async def test_only_admins_save_and_suppliers_do_not_read(
    db: Database, make_user: UserFactory
) -> None:
    for role in (Role.PURCHASE_MANAGER, Role.WAREHOUSE, Role.SALES):
        with pytest.raises(Forbidden):
            await templates.save_print_template(db, await make_user(role), COMPACT)
    # Refused before anything is read: no supplier row is needed behind the principal.
    supplier_user = Principal(user_id=0, username="seller", roles=frozenset({Role.SUPPLIER}),
                              supplier_id=1)
    with pytest.raises(Forbidden):
        await templates.print_templates(db, supplier_user)
    assert await _counts(db) == (0, 0)


async def test_unknown_template_name_for_printing(db: Database, admin: Principal) -> None:
    await templates.save_print_template(db, admin, COMPACT)
    async with db.transaction() as session:
        with pytest.raises(NotFound, match="no invoice template named 'pick list compact'"):
            await templates.template_for(session, DocumentKind.INVOICE, "pick list compact")
        with pytest.raises(NotFound):
            await templates.template_for(session, DocumentKind.PICK_LIST, "nope")


async def test_preview_renders_the_sample_document(admin: Principal) -> None:
    preview = await templates.preview_print_template(admin, "pick_list", COMPACT.html,
                                                     COMPACT.css, "zh")
    assert preview.pdf.startswith(b"%PDF") and preview.pages == 1
    assert "PK-2026-000001" in preview.text and "SKU-1001" in preview.text



@pytest.mark.parametrize("kind", list(DocumentKind))
async def test_every_builtin_template_previews_in_both_languages(kind: DocumentKind) -> None:
    # No database: the preview is the editor's view of the built-in on the sample document, so
    # the samples must give every key the built-in templates use.
    editor = Principal(user_id=0, username="editor", roles=frozenset({Role.ADMIN}))
    html = (templates.DEFAULTS_DIR / f"{kind.value}.html").read_text("utf-8")
    css = (templates.DEFAULTS_DIR / "base.css").read_text("utf-8")
    for language in ("zh", "en"):
        preview = await templates.preview_print_template(editor, kind.value, html, css, language)
        document = sample_view(kind, language)["document"]
        assert document["number"] in preview.text
        assert document["title"] in preview.text
