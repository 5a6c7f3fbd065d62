"""Counts and times every GraphQL operation for /metrics, by its name and type."""

from __future__ import annotations

import time

from strawberry.extensions import SchemaExtension

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
        observe_operation(context.operation_name, operation_type, ok,
                          time.perf_counter() - started)
