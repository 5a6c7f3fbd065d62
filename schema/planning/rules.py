"""Replenishment rules as the API shows and edits them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.context import Info
from schema.errors import UserError, attempt
from server.planning import rule_store
from server.planning.models import ReplenishmentRule as RuleRow
from server.planning.rules import Operation, Target

ReplenishmentTarget = strawberry.enum(Target, name="ReplenishmentTarget")
ReplenishmentOperation = strawberry.enum(Operation, name="ReplenishmentOperation")


@strawberry.type(description="What a rule changes when it fires.")
class ReplenishmentAction:
    target: ReplenishmentTarget
    operation: ReplenishmentOperation
    value: Decimal


@strawberry.type(description="Where a rule applies; an empty list means all.")
class ReplenishmentScope:
    skus: list[str]
    categories: list[str]
    tags: list[str] = strawberry.field(description="The product has at least one of them.")
    warehouse_codes: list[str]


@strawberry.type(description="A buyer's rule: scope, CEL condition over the product's metrics, "
                             "actions. Lower priority applies first.")
class ReplenishmentRule:
    name: str
    priority: int
    condition: str = strawberry.field(
        description="CEL over sales (weekly, oldest first), growth, average, std_dev, "
                    "days_of_cover, category, tags, month, sku, warehouse.")
    actions: list[ReplenishmentAction]
    scope: ReplenishmentScope
    active: bool
    version: int
    updated_at: datetime
    updated_by_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: RuleRow) -> ReplenishmentRule:
        scope = rule_store.stored_scope(row)
        return cls(
            name=row.name, priority=row.priority, condition=row.condition, active=row.active,
            version=row.version, updated_at=row.updated_at, updated_by_id=row.updated_by_id,
            actions=[ReplenishmentAction(target=a.target, operation=a.operation, value=a.value)
                     for a in rule_store.stored_actions(row)],
            scope=ReplenishmentScope(skus=list(scope.skus), categories=list(scope.categories),
                                     tags=list(scope.tags),
                                     warehouse_codes=list(scope.warehouse_codes)),
        )

    @strawberry.field(description="Username of who saved this version.")
    async def updated_by(self, info: Info) -> str:
        user = await info.context.loaders.user.load(self.updated_by_id)
        return user.username if user else ""


@strawberry.input
class ReplenishmentActionInput:
    target: ReplenishmentTarget
    operation: ReplenishmentOperation
    value: Decimal


@strawberry.input
class ReplenishmentScopeInput:
    skus: list[str] = strawberry.field(default_factory=list)
    categories: list[str] = strawberry.field(default_factory=list)
    tags: list[str] = strawberry.field(default_factory=list)
    warehouse_codes: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class SetReplenishmentRuleInput:
    name: str
    condition: str
    actions: list[ReplenishmentActionInput]
    priority: int = 100
    scope: ReplenishmentScopeInput | None = None
    active: bool = True
    based_on_version: int | None = strawberry.field(
        default=None, description="The version you edited (0 for a new rule); STALE_VERSION "
                                  "when the rule has moved on.")

    def draft(self) -> rule_store.RuleDraft:
        scope = self.scope or ReplenishmentScopeInput()
        return rule_store.RuleDraft(
            name=self.name, condition=self.condition, priority=self.priority, active=self.active,
            based_on_version=self.based_on_version,
            actions=[rule_store.ActionDraft(Target(a.target).value, Operation(a.operation).value,
                                            a.value) for a in self.actions],
            scope=rule_store.ScopeDraft(skus=scope.skus, categories=scope.categories,
                                        tags=scope.tags, warehouse_codes=scope.warehouse_codes),
        )


@strawberry.input
class DeleteReplenishmentRuleInput:
    name: str


@strawberry.type
class ReplenishmentRulePayload:
    rule: ReplenishmentRule | None
    user_errors: list[UserError]


@strawberry.type
class DeleteReplenishmentRulePayload:
    name: str | None = strawberry.field(description="The deleted rule's name.")
    user_errors: list[UserError]


@strawberry.type
class ReplenishmentRuleQuery:
    @strawberry.field(description="Replenishment rules in the order they apply.")
    async def replenishment_rules(
        self, info: Info, active_only: bool = False
    ) -> list[ReplenishmentRule]:
        rows = await rule_store.list_rules(info.context.session, info.context.user(), active_only)
        return [ReplenishmentRule.from_row(row) for row in rows]


@strawberry.type
class ReplenishmentRuleMutation:
    @strawberry.mutation(description="Create the rule of this name, or replace it (version + 1).")
    async def set_replenishment_rule(
        self, info: Info, input: SetReplenishmentRuleInput
    ) -> ReplenishmentRulePayload:
        row, errors = await attempt(lambda: rule_store.set_replenishment_rule(
            info.context.db, info.context.user(), input.draft()))
        return ReplenishmentRulePayload(rule=row and ReplenishmentRule.from_row(row),
                                        user_errors=errors)

    @strawberry.mutation(description="Delete a replenishment rule by name.")
    async def delete_replenishment_rule(
        self, info: Info, input: DeleteReplenishmentRuleInput
    ) -> DeleteReplenishmentRulePayload:
        name, errors = await attempt(lambda: rule_store.delete_replenishment_rule(
            info.context.db, info.context.user(), input.name))
        return DeleteReplenishmentRulePayload(name=name, user_errors=errors)
