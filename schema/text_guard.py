"""Refuses characters no text field can store in any string a request carries, before anything
runs: NUL and lone surrogates.

PostgreSQL cannot store U+0000 in text (psycopg raises DataError) while SQLite stores it
silently, so a NUL would be a server error on one database and a hidden oddity on the other. A
lone surrogate (U+D800–U+DFFF, which JSON's ``\\ud800`` escape can carry) is not text at all:
it cannot be encoded as UTF-8 for either database. No business key, name or note has a use for
them, so requests holding one are refused up front with a typed error naming where it was
found: in a variable or in a literal in the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def unstorable_paths(value: Any, path: str) -> Iterator[str]:
    """Where a JSON-like value holds a string (or an object key) with a NUL or a lone
    surrogate in it."""
    if isinstance(value, str):
        if _unstorable(value):
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if _unstorable(str(key)):
                yield key_path
            yield from unstorable_paths(item, key_path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from unstorable_paths(item, f"{path}[{index}]")


class _UnstorableLiterals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if _unstorable(node.value):
            self.found = True


def has_unstorable_literal(document: DocumentNode) -> bool:
    visitor = _UnstorableLiterals()
    visit(document, visitor)
    return visitor.found


class RefuseUnstorableCharacters(SchemaExtension):
    """Runs after validation and before execution: such a request executes nothing."""

    def on_execute(self):  # type: ignore[no-untyped-def]
        context = self.execution_context
        where = next(unstorable_paths(context.variables or {}, ""), None)
        if where is None and context.graphql_document is not None \
                and has_unstorable_literal(context.graphql_document):
            where = "query"
        if where is not None:
            raise GraphQLError(
                f"{where} contains a NUL character (U+0000) or a lone surrogate "
                "(U+D800–U+DFFF), which no text field accepts",
                extensions={"code": "INVALID_INPUT", "field": where},
            )
        yield
