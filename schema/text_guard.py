"""Refuses NUL characters in any string a request carries, before anything runs.

PostgreSQL cannot store U+0000 in text (psycopg raises DataError) while SQLite stores it
silently, so a NUL would be a server error on one database and a hidden oddity on the other.
No business key, name or note has a use for it, so requests holding one are refused up front
with a typed error naming where it was found: in a variable or in a literal in the query.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

NUL = "\x00"


def nul_paths(value: Any, path: str) -> Iterator[str]:
    """Where a JSON-like value holds a string (or an object key) with a NUL in it."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield key_path
            yield from nul_paths(item, key_path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from nul_paths(item, f"{path}[{index}]")


class _NulLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if NUL in node.value:
            self.found = True


def has_nul_literal(document: DocumentNode) -> bool:
    visitor = _NulLiterals()
    visit(document, visitor)
    return visitor.found


class RefuseNulCharacters(SchemaExtension):
    """Runs after validation and before execution: a request with a NUL executes nothing."""

    def on_execute(self):  # type: ignore[no-untyped-def]
        context = self.execution_context
        where = next(nul_paths(context.variables or {}, ""), None)
        if where is None and context.graphql_document is not None \
                and has_nul_literal(context.graphql_document):
            where = "query"
        if where is not None:
            raise GraphQLError(
                f"{where} contains a NUL character (U+0000), which no text field accepts",
                extensions={"code": "INVALID_INPUT", "field": where},
            )
        yield
