"""Completes objects whose selected fields are all plain leaves in one pass.

graphql-core executes every field of every object alike: a path entry, a resolve info, an
argument check, then the completion chain (non-null, list, leaf) for the value. For a report of
64,000 rows that is 321,000 leaf fields, more time than the report's own SQL. Where every field
selected on an object is an attribute strawberry reads without a resolver (no arguments) and
is a scalar or enum, the value of each field is read and coerced directly instead, and a list
of such objects is completed in one loop.

The result is the one graphql-core would build: the attribute strawberry's resolver would read
and the same output coercion per field, in the same order. Each selection's completion is
written as one Python function (``_compile``), so a row costs one call, not a loop over its
fields: a 70,000-row report has a million leaves. Anything the direct pass cannot
answer exactly (a null in a non-null field, a value the scalar refuses, a resolver that raised)
falls back to the regular execution of that object or list, which reports the error as
graphql-core does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from keyword import iskeyword
from operator import attrgetter
from typing import Any, NamedTuple

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Path
from graphql.type.scalars import serialize_boolean, serialize_string
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types.base_scalars import isoformat

TYPENAME = "__typename"


class PlainLeaf(NamedTuple):
    response_name: str
    # reads the field off the source as strawberry's resolve function of a field without a
    # resolver does; None for __typename
    read: Callable[[Any], Any] | None
    leaf_type: GraphQLLeafType | None
    non_null: bool
    # the attribute ``read`` reads, when it reads one
    attribute: str | None


# Completes one object of a selection: its data, or None where the regular execution must.
Completer = Callable[[Any], dict[str, Any] | None]


class DirectLeafExecutor(StrawberryGraphQLCoreExecutionContext):
    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: list[FieldDetails],
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # A list of such objects in one loop: per item, graphql-core's path entry and its
        # completion chain down to the object's fields cost as much again as the fields.
        if isinstance(result, list | tuple):
            completed = self._complete_plain_list(return_type.of_type, field_details_list, result)
            if completed is not None:
                return completed
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context)

    def _complete_plain_list(
        self, item_type: GraphQLOutputType, field_details_list: list[FieldDetails],
        items: Sequence[Any],
    ) -> list[Any] | None:
        non_null = isinstance(item_type, GraphQLNonNull)
        object_type = item_type.of_type if non_null else item_type
        # is_type_of checks each item (interfaces); a directive on the field may be @stream
        if not isinstance(object_type, GraphQLObjectType) or object_type.is_type_of \
                or any(details.node.directives for details in field_details_list):
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list)
        complete = None if new_defer_usages else self._plain_leaves(
            object_type, grouped_field_set)
        if complete is None:
            return None
        completed = []
        for item in items:
            data = None if item is None else complete(item)
            if data is None and (item is not None or non_null):
                return None
            completed.append(data)
        return completed

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: dict[str, list[FieldDetails]],
        position_context: Any,
    ) -> Any:
        complete = self._plain_leaves(parent_type, grouped_field_set)
        if complete is not None:
            completed = complete(source_value)
            if completed is not None:
                return completed
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context)

    def _plain_leaves(
        self, parent_type: GraphQLObjectType, grouped_field_set: dict[str, list[FieldDetails]],
    ) -> Completer | None:
        # A grouped field set is made once per selection and type (graphql-core memoises it),
        # so its identity keys the plan; the set is kept with it so the id is not reused.
        plans: dict[int, tuple[Any, Completer | None]] | None = (
            self.__dict__.get("_plain_leaf_plans"))
        if plans is None:
            plans = self.__dict__["_plain_leaf_plans"] = {}
        known = plans.get(id(grouped_field_set))
        if known is not None and known[0] is grouped_field_set:
            return known[1]
        # Strawberry always passes a manager; only one holding middleware wraps the resolvers.
        manager = self.middleware_manager
        plan = None if manager is not None and manager.middlewares else _plan(
            self, parent_type, grouped_field_set)
        plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan


def _plan(
    executor: StrawberryGraphQLCoreExecutionContext, parent_type: GraphQLObjectType,
    grouped_field_set: dict[str, list[FieldDetails]],
) -> Completer | None:
    plan = []
    for response_name, field_details_list in grouped_field_set.items():
        node = field_details_list[0].node
        if node.name.value == TYPENAME:
            plan.append(PlainLeaf(response_name, None, None, True, None))
            continue
        field_def = executor.schema.get_field(parent_type, node.name.value)
        if field_def is None or field_def.args or node.arguments \
                or not getattr(field_def.resolve, "_is_default", False):
            return None
        definition = field_def.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
        resolve = field_def.resolve
        plain = definition.default_resolver is getattr
        read = (attrgetter(definition.python_name) if plain
                else lambda source, resolve=resolve: resolve(source, None))
        field_type = field_def.type
        non_null = isinstance(field_type, GraphQLNonNull)
        leaf_type = field_type.of_type if non_null else field_type
        if not is_leaf_type(leaf_type):
            return None
        plan.append(PlainLeaf(response_name, read, leaf_type, non_null,
                              definition.python_name if plain else None))
    return _compile(parent_type.name, plan)


# A scalar's output coercion, for the one class of value it is most often given: that class and
# what the coercion comes to for it (the same value, without the checks any other value needs).
_FAST_COERCIONS: tuple[tuple[Any, type, str], ...] = (
    (serialize_string, str, "{}"),
    (serialize_boolean, bool, "{}"),
    (str, Decimal, "str({})"),  # the Decimal scalar (schema.scalars)
    (isoformat, datetime, "{}.isoformat()"),  # strawberry's DateTime and Date
)


def _compile(type_name: str, leaves: list[PlainLeaf]) -> Completer | None:
    """A function completing one object of the selection: its data, or None where only the
    regular execution can answer (a null in a non-null field, an error as the value, a value
    the scalar refuses, a read that raised). Only names from the schema go into its text:
    response names are GraphQL names, attributes Python identifiers, both checked (None for a
    selection with anything else: it goes the regular way)."""
    namespace: dict[str, Any] = {"Undefined": Undefined, "TYPENAME": type_name}
    lines = ["def complete(source):", "    try:"]
    entries = []
    for index, leaf in enumerate(leaves):
        if not leaf.response_name.isidentifier():
            return None
        entries.append(f"{leaf.response_name!r}: v{index}")
        if leaf.read is None:
            lines.append(f"        v{index} = TYPENAME")
            continue
        attribute = leaf.attribute
        if attribute is not None and attribute.isidentifier() and not iskeyword(attribute):
            lines.append(f"        v{index} = source.{attribute}")
        else:
            namespace[f"read{index}"] = leaf.read
            lines.append(f"        v{index} = read{index}(source)")
        null = "return None" if leaf.non_null else f"v{index} = None"
        coerce = leaf.leaf_type.coerce_output_value  # type: ignore[union-attr]
        namespace[f"coerce{index}"] = coerce
        fast = next(((kind, coerced) for known, kind, coerced in _FAST_COERCIONS
                     if known is coerce), None)
        if fast is not None:
            kind, coerced = fast
            namespace[kind.__name__] = kind
            lines += [f"        if v{index}.__class__ is {kind.__name__}:",
                      f"            v{index} = {coerced.format(f'v{index}')}",
                      f"        elif v{index} is None or v{index} is Undefined:"]
        else:
            lines.append(f"        if v{index} is None or v{index} is Undefined:")
        lines += [f"            {null}",
                  f"        elif isinstance(v{index}, Exception):",
                  "            return None",
                  "        else:",
                  f"            v{index} = coerce{index}(v{index})",
                  f"            if v{index} is None or v{index} is Undefined:",
                  "                return None"]
    lines += ["    except Exception:  # the regular execution reports it",
              "        return None",
              "    return {" + ", ".join(entries) + "}"]
    exec("\n".join(lines), namespace)
    return namespace["complete"]  # type: ignore[no-any-return]
