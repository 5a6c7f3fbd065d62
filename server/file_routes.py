"""What the routes that serve files (documents' PDFs, reports' CSV and XLSX) share: the caller
from the same bearer token GraphQL takes, and a refusal as JSON ``{"error": {"code", "message",
"field"}}`` with its HTTP status."""

from __future__ import annotations

from starlette.responses import JSONResponse

from server import auth
from server.auth import Principal
from server.db import Database
from server.errors import DomainError, Forbidden, NotFound, Unauthenticated

StatusOfError = tuple[tuple[type[DomainError], int], ...]
STATUS_OF_ERROR: StatusOfError = ((Unauthenticated, 401), (Forbidden, 403), (NotFound, 404))


async def caller(database: Database, token: str | None) -> Principal:
    """The principal behind ``token``; Unauthenticated without a valid one."""
    if not token:
        return auth.require_principal(None)
    async with database.autocommit_reader() as connection:
        return auth.require_principal(await auth.authenticate(connection, token))


def error_response(error: DomainError, more: StatusOfError = ()) -> JSONResponse:
    """``error`` as JSON; its status from ``more`` first, then the common ones, else 400."""
    status = next((code for kind, code in (*more, *STATUS_OF_ERROR) if isinstance(error, kind)),
                  400)
    problem = error.problems[0]
    return JSONResponse({"error": {"code": problem.code, "message": problem.message,
                                   "field": problem.field}}, status_code=status)
