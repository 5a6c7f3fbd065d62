"""Executes a pushed event once per distinct subscription, not once per subscriber.

A thousand clients following one warehouse with the same query would otherwise run the same
GraphQL execution a thousand times for every stock change. A subscription root object that
derives only from its event (``SharedEventRoot``: no context, no permissions, no loaders inside)
keeps the error-free result of each (operation, variables) it was executed for, and every other
subscriber with the same query and variables reuses it. The result's data is a ``SharedData``,
so the transport can also serialise it once for all of them (``schema.event_delivery``).
"""

from __future__ import annotations

import json
from typing import Any

from graphql import ExecutionResult

from schema.leaf_execution import DirectLeafExecutor


class SharedData(dict[str, Any]):
    """The data of a result every subscriber of one (operation, variables) receives as is."""

    __slots__ = ("encoded_payload",)

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        # The `next` message's payload as JSON text, made by the first transport that sends it.
        self.encoded_payload: str | None = None


class SharedEventRoot:
    """Base of root objects whose GraphQL result depends only on the object itself."""

    def shared_results(self) -> dict[tuple[int, str], tuple[Any, ExecutionResult]]:
        """(id of the operation node, variables) → (that node, its result). Holding the node
        keeps its id from being reused by another operation while this root lives."""
        results: dict[tuple[int, str], tuple[Any, ExecutionResult]] | None = (
            self.__dict__.get("_shared_results")
        )
        if results is None:
            results = self.__dict__["_shared_results"] = {}
        return results


class SharedEventExecutor(DirectLeafExecutor):
    # The subscription's variables as a key, made once: every event's executor is a copy.
    _variables_key: str | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        if self._variables_key is None:
            self._variables_key = _variables_key(self.variable_values)
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        root = self.root_value
        if not isinstance(root, SharedEventRoot):
            return super().execute_operation(serially)
        variables = self._variables_key or _variables_key(self.variable_values)
        key = (id(self.operation), variables)
        known = root.shared_results().get(key)
        if known is not None and known[0] is self.operation:
            return ExecutionResult(data=known[1].data, errors=None)
        outcome = super().execute_operation(serially)
        if self.is_awaitable(outcome):
            return self._remember(root, key, outcome)
        self._keep(root, key, outcome)
        return outcome

    def _keep(self, root: SharedEventRoot, key: tuple[int, str], outcome: Any) -> None:
        if isinstance(outcome, ExecutionResult) and not outcome.errors \
                and outcome.data is not None:
            outcome.data = SharedData(outcome.data)
            root.shared_results()[key] = (self.operation, outcome)

    async def _remember(self, root: SharedEventRoot, key: tuple[int, str], pending: Any) -> Any:
        outcome = await pending
        self._keep(root, key, outcome)
        return outcome


def _variables_key(variables: dict[str, Any]) -> str:
    return json.dumps(variables, sort_keys=True, default=str)
