"""Print templates as the API lists, saves and previews them."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry

from schema.context import Info
from schema.errors import UserError, attempt
from server.documents import templates
from server.documents.models import DocumentKind

PrintDocumentKind = strawberry.enum(DocumentKind, name="DocumentKind")


@strawberry.type(description="A print template with its current version's HTML and CSS "
                             "(Jinja2, sandboxed: it sees only the document's view model).")
class PrintTemplate:
    kind: PrintDocumentKind
    name: str
    language: str = strawberry.field(description="zh or en: the labels the template prints.")
    is_default: bool = strawberry.field(description="The one used when printing names none.")
    version: int
    html: str
    css: str
    updated_at: datetime

    @classmethod
    def from_stored(cls, stored: templates.StoredTemplate) -> PrintTemplate:
        template, version = stored.template, stored.version
        return cls(kind=DocumentKind(template.kind), name=template.name,
                   language=template.language, is_default=template.is_default,
                   version=version.version, html=version.html, css=version.css,
                   updated_at=template.updated_at)


@strawberry.input
class SavePrintTemplateInput:
    kind: PrintDocumentKind
    name: str
    html: str
    css: str = ""
    language: str = "zh"
    is_default: bool = False
    based_on_version: int | None = strawberry.field(
        default=None, description="The version you edited (0 for a new template); "
                                  "STALE_VERSION when the template has moved on.")

    def draft(self) -> templates.TemplateDraft:
        return templates.TemplateDraft(
            kind=DocumentKind(self.kind).value, name=self.name, html=self.html, css=self.css,
            language=self.language, is_default=self.is_default,
            based_on_version=self.based_on_version)


@strawberry.input
class PreviewPrintTemplateInput:
    kind: PrintDocumentKind
    html: str
    css: str = ""
    language: str = "zh"


@strawberry.type
class SavePrintTemplatePayload:
    template: PrintTemplate | None
    user_errors: list[UserError]


@strawberry.type(description="The template rendered on a made-up document of its kind.")
class PrintPreview:
    pdf_base64: str
    pages: int
    text: str = strawberry.field(description="The PDF's text, as a PDF reader extracts it.")


@strawberry.type
class PreviewPrintTemplatePayload:
    preview: PrintPreview | None
    user_errors: list[UserError]


@strawberry.type
class PrintTemplateQuery:
    @strawberry.field(description="Print templates with their current content, by kind then "
                                  "name (staff only); every kind's built-in default included.")
    async def print_templates(
        self, info: Info, kind: PrintDocumentKind | None = None
    ) -> list[PrintTemplate]:
        stored = await templates.print_templates(
            info.context.db, info.context.user(), DocumentKind(kind).value if kind else None)
        return [PrintTemplate.from_stored(each) for each in stored]


@strawberry.type
class PrintTemplateMutation:
    @strawberry.mutation(description="Save a template as its next version (admins only); "
                                     "syntax errors are refused with line and column.")
    async def save_print_template(
        self, info: Info, input: SavePrintTemplateInput
    ) -> SavePrintTemplatePayload:
        stored, errors = await attempt(lambda: templates.save_print_template(
            info.context.db, info.context.user(), input.draft()))
        return SavePrintTemplatePayload(
            template=stored and PrintTemplate.from_stored(stored), user_errors=errors)

    @strawberry.mutation(description="Render a template on sample data without saving it "
                                     "(admins only).")
    async def preview_print_template(
        self, info: Info, input: PreviewPrintTemplateInput
    ) -> PreviewPrintTemplatePayload:
        preview, errors = await attempt(lambda: templates.preview_print_template(
            info.context.user(), DocumentKind(input.kind).value, input.html, input.css,
            input.language))
        return PreviewPrintTemplatePayload(
            preview=preview and PrintPreview(pdf_base64=base64.b64encode(preview.pdf).decode(),
                                             pages=preview.pages, text=preview.text),
            user_errors=errors)
