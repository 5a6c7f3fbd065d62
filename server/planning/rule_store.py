"""Replenishment rules kept as data: saved and deleted by buyers through the API, read back as
pure ``server.planning.rules.Rule`` objects for a planning run.

A rule is validated by building the pure ``Rule`` before anything is written, so a rule that is
stored always compiles: invalid CEL is refused with its line and column, an unknown action target
or operation, a non-numeric or negative factor with the field concerned. Rules are identified by
name; saving a name that exists replaces that rule and raises its version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import select

from server.auth import Principal, Role
from server.db import AsyncSession, Database
from server.errors import DomainError, InvalidInput, NotFound
from server.planning.models import ReplenishmentRule
from server.planning.rules import Action, Operation, Rule, Scope, Target

RULE_EDITORS = (Role.PURCHASE_MANAGER, Role.ADMIN)
MAX_NAME_LENGTH = 100
# The column is a 32-bit integer on PostgreSQL; a larger priority would fail at the database.
PRIORITY_RANGE = range(-(2**31), 2**31)

E = TypeVar("E", Target, Operation)


@dataclass(frozen=True, slots=True)
class ActionDraft:
    """An action as entered: target and operation by name (``safety_stock``, ``multiply``...)."""

    target: str
    operation: str
    value: Decimal | str


@dataclass(frozen=True, slots=True)
class ScopeDraft:
    skus: Sequence[str] = ()
    categories: Sequence[str] = ()
    tags: Sequence[str] = ()
    warehouse_codes: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class RuleDraft:
    name: str
    condition: str
    actions: Sequence[ActionDraft]
    priority: int = 100
    scope: ScopeDraft = field(default_factory=ScopeDraft)
    active: bool = True
    based_on_version: int | None = None


def _enum_member(kind: type[E], raw: str, where: str) -> E:
    try:
        return kind(raw.strip().lower())
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{where}: unknown {kind.__name__.lower()} {raw!r} (known: {known})",
                           field=where) from None


def _action(draft: ActionDraft, number: int) -> Action:
    where = f"actions[{number}]"
    target = _enum_member(Target, draft.target, f"{where}.target")
    operation = _enum_member(Operation, draft.operation, f"{where}.operation")
    try:
        value = Decimal(draft.value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(f"{where}.value: not a number: {draft.value!r}",
                           field=f"{where}.value") from None
    return Action(target, operation, value)


def _scope(draft: ScopeDraft) -> Scope:
    def cleaned(values: Sequence[str]) -> frozenset[str]:
        return frozenset(value.strip() for value in values if value.strip())

    return Scope(skus=cleaned(draft.skus), categories=cleaned(draft.categories),
                 tags=cleaned(draft.tags), warehouse_codes=cleaned(draft.warehouse_codes))


def build_rule(draft: RuleDraft) -> Rule:
    """The pure rule the draft describes; ``InvalidInput`` naming the field when it is wrong."""
    name = draft.name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidInput(f"a rule name has 1 to {MAX_NAME_LENGTH} characters", field="name")
    if draft.priority not in PRIORITY_RANGE:
        raise InvalidInput(f"priority {draft.priority} is out of range", field="priority")
    actions = tuple(_action(action, number) for number, action in enumerate(draft.actions))
    return Rule(name, draft.condition, actions, draft.priority, _scope(draft.scope))


def _scope_json(scope: Scope) -> dict[str, list[str]]:
    return {"skus": sorted(scope.skus), "categories": sorted(scope.categories),
            "tags": sorted(scope.tags), "warehouseCodes": sorted(scope.warehouse_codes)}


def _actions_json(actions: Sequence[Action]) -> list[dict[str, str]]:
    return [{"target": a.target.value, "operation": a.operation.value, "value": str(a.value)}
            for a in actions]


def stored_scope(row: ReplenishmentRule) -> ScopeDraft:
    scope: dict[str, Any] = row.scope or {}
    return ScopeDraft(skus=scope.get("skus", []), categories=scope.get("categories", []),
                      tags=scope.get("tags", []), warehouse_codes=scope.get("warehouseCodes", []))


def stored_actions(row: ReplenishmentRule) -> list[Action]:
    return [Action(Target(a["target"]), Operation(a["operation"]), Decimal(a["value"]))
            for a in row.actions]


async def set_replenishment_rule(
    db: Database, principal: Principal, draft: RuleDraft
) -> ReplenishmentRule:
    """Create the rule of that name, or replace it (version + 1). With ``based_on_version`` the
    replacement is refused (STALE_VERSION) when someone saved the rule since."""
    principal.require(*RULE_EDITORS)
    rule = build_rule(draft)
    async with db.transaction() as session:
        row = await session.scalar(
            select(ReplenishmentRule).where(ReplenishmentRule.name == rule.name)
            .with_for_update()
        )
        current_version = row.version if row else 0
        if draft.based_on_version is not None and draft.based_on_version != current_version:
            raise DomainError(
                f"rule {rule.name!r} is at version {current_version}, not "
                f"{draft.based_on_version}; reload it", field="basedOnVersion",
                code="STALE_VERSION")
        if row is None:
            row = ReplenishmentRule(name=rule.name, version=1)
            session.add(row)
        else:
            row.version += 1
        row.priority = rule.priority
        row.condition = rule.condition_source
        row.scope = _scope_json(rule.scope)
        row.actions = _actions_json(rule.actions)
        row.active = draft.active
        row.updated_by_id = principal.user_id
        await session.flush()
        await session.refresh(row)
        return row


async def delete_replenishment_rule(db: Database, principal: Principal, name: str) -> str:
    """Remove the rule; returns its name. NOT_FOUND when there is none."""
    principal.require(*RULE_EDITORS)
    async with db.transaction() as session:
        row = await session.scalar(
            select(ReplenishmentRule).where(ReplenishmentRule.name == name.strip())
            .with_for_update()
        )
        if row is None:
            raise NotFound(f"no replenishment rule named {name!r}", field="name")
        await session.delete(row)
        return row.name


async def list_rules(
    session: AsyncSession, principal: Principal, active_only: bool = False
) -> list[ReplenishmentRule]:
    """Rules in the order they apply: priority, then name."""
    principal.require_internal()
    stmt = select(ReplenishmentRule).order_by(ReplenishmentRule.priority, ReplenishmentRule.name)
    if active_only:
        stmt = stmt.where(ReplenishmentRule.active.is_(True))
    return list(await session.scalars(stmt))


# Built once: the live recompute reads the rules after every change.
_ACTIVE_RULES = (select(ReplenishmentRule).where(ReplenishmentRule.active.is_(True))
                 .order_by(ReplenishmentRule.priority, ReplenishmentRule.name))


async def rules_for_engine(session: AsyncSession) -> list[Rule]:
    """The active rules as pure ``Rule`` objects, in priority order, for a planning run."""
    rows = await session.scalars(_ACTIVE_RULES)
    return [_built_rule(row.name, row.condition, tuple(stored_actions(row)), row.priority,
                        _scope(stored_scope(row))) for row in rows]


@lru_cache(maxsize=1024)
def _built_rule(name: str, condition: str, actions: tuple[Action, ...], priority: int,
                scope: Scope) -> Rule:
    # Building a rule compiles and tries its CEL; the live recompute reads the rules for every
    # change, so a rule is built once per content, not once per read.
    return Rule(name, condition, actions, priority, scope)
