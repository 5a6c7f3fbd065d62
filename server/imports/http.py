"""``GET /imports/templates/{kind}.{format}``: the file to fill in for an import (``products.xlsx``,
``opening-stock.csv``), for any signed-in member of staff, with the bearer token GraphQL takes.
Errors answer JSON ``{"error": {...}}``: 401 without a valid token, 403 for a supplier user,
404 for an unknown kind or format."""

from __future__ import annotations

from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from server.db import Database
from server.errors import DomainError, NotFound
from server.file_routes import caller, error_response
from server.imports.kinds import ImportKind, TemplateFormat, template

Choice = TypeVar("Choice", ImportKind, TemplateFormat)


async def template_response(request: Request, database: Database, token: str | None
                            ) -> Response:
    try:
        (await caller(database, token)).require_internal()
        kind = _known(ImportKind, request.path_params["kind"], "kind")
        file_format = _known(TemplateFormat, request.path_params["format"], "format")
    except DomainError as error:
        return error_response(error)
    data, name, content_type = template(kind, file_format)
    return Response(data, media_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _known(kind: type[Choice], value: str, field: str) -> Choice:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise NotFound(f"no import {field} {value!r}: {choices}", field=field) from None
