"""Counts and times every GraphQL operation for /metrics, by its name and type."""

from __future__ import annotations

import time

from graphql import FieldNode, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from server.ops.metrics import observe_operation


class OperationMetrics(SchemaExtension):
    def on_operation(self):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            operation_type = context.operation_type.value
        except Exception:
            # Unparsable or ambiguous documents have no type: they never got that far.
            operation_type = "invalid"
        result = context.result
        ok = result is not None and not getattr(result, "errors", None)
        observe_operation(context.operation_name or _root_fields(context), operation_type, ok,
                          time.perf_counter() - started)


def _root_fields(context: ExecutionContext) -> str | None:
    """An unnamed operation is labelled by its root fields (``createSupplier``): those are
    bounded by the schema, unlike names clients make up."""
    document = context.graphql_document
    if document is None:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            selections = definition.selection_set.selections
            names = sorted({field.name.value for field in selections
                            if isinstance(field, FieldNode)})
            return "+".join(names) or None
    return None
