"""Expected failures as data: ``userErrors`` on payloads, coded GraphQL errors on queries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from server.errors import DomainError

T = TypeVar("T")


@strawberry.type(description="A business error: the input was understood but cannot be applied.")
class UserError:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. DUPLICATE.")
    field: str | None = strawberry.field(description="The input field concerned, if one is.")
    message: str


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError(code=p.code, field=p.field, message=p.message) for p in error.problems]


async def attempt(action: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run one use case; a domain error, including a missing login, becomes ``userErrors``
    (the use case's transaction has rolled back)."""
    try:
        return await action(), []
    except DomainError as error:
        return None, user_errors(error)


class DomainErrorCodes(SchemaExtension):
    """A domain error raised in a query resolver reaches the client with its code in
    ``extensions.code`` instead of as an anonymous failure."""

    def on_execute(self):  # type: ignore[no-untyped-def]
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = [_with_code(error) for error in result.errors]

    def on_stream_result(self, result: object):  # type: ignore[no-untyped-def]
        # Subscriptions: an error raised while a stream runs (before or between events) is
        # reported through here, not through on_execute.
        if isinstance(result, ExecutionResult) and result.errors:
            result.errors = [_with_code(error) for error in result.errors]
        yield


def _with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if not isinstance(original, DomainError):
        return error
    problem = original.problems[0]
    extensions = {"code": problem.code, **({"field": problem.field} if problem.field else {})}
    return GraphQLError(
        error.message, nodes=error.nodes, source=error.source, positions=error.positions,
        path=error.path, original_error=original, extensions=extensions,
    )
