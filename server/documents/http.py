"""``GET /documents/{kind}/{number}.pdf?template=NAME&lang=zh|en``: a document as a PDF, with the
same bearer token and role checks as GraphQL. Errors answer JSON ``{"error": {"code",
"message"}}``: 401 without a valid token, 403 for a role that may not print it, 404 for a document
(or kind, or template) that does not exist or is not the caller's to see, 400 for a bad language,
422 when the template fails to render (no PDF at all, never half of one)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.db import Database
from server.documents.rendering import TemplateRenderError
from server.documents.service import document_pdf
from server.documents.views_common import document_kind
from server.errors import DomainError, NotFound
from server.file_routes import caller, error_response


async def document_response(request: Request, database: Database, token: str | None) -> Response:
    """The PDF for the route's ``kind`` and ``number``, authenticated by ``token``."""
    try:
        principal = await caller(database, token)
        try:
            kind = document_kind(request.path_params["kind"])
        except DomainError as error:
            raise NotFound(error.problems[0].message, field="kind") from None
        document = await document_pdf(
            database, principal, kind, request.path_params["number"],
            template_name=request.query_params.get("template") or None,
            language=request.query_params.get("lang") or None)
    except DomainError as error:
        return error_response(error, ((TemplateRenderError, 422),))
    return Response(document.content, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{document.filename}"',
        "X-Content-SHA256": document.sha256,
    })
