"""The planning policy (with its preferTransfers switch) and the transfers planning suggests
between a product's warehouses before buying."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from schema.context import Info
from schema.errors import UserError, attempt
from server.planning import policy as policies
from server.planning.plan import Policy
from server.planning.transfer_suggestions import transfer_suggestions


@strawberry.type(description="How planning runs.")
class PlanningPolicy:
    review_period_days: int = strawberry.field(
        description="Added to the supplier's lead time for the coverage horizon.")
    service_level: Decimal = strawberry.field(description="Safety stock is sized for it.")
    history_weeks: int = strawberry.field(description="Sales history the baseline reads.")
    prefer_transfers: bool = strawberry.field(
        description="Cover a warehouse's shortage by a transfer from a warehouse with surplus "
                    "before suggesting a purchase order.")

    @classmethod
    def from_policy(cls, policy: Policy) -> PlanningPolicy:
        return cls(review_period_days=policy.review_period_days,
                   service_level=Decimal(str(policy.service_level)),
                   history_weeks=policy.history_weeks, prefer_transfers=policy.prefer_transfers)


@strawberry.type(description="Move so much of a product from a warehouse with surplus (shelf "
                             "stock beyond its safety stock, forecast and backorders) to one "
                             "short of it; createTransfer carries it out.")
class TransferSuggestion:
    from_warehouse_code: str
    to_warehouse_code: str
    quantity: Decimal
    explanation: str


@strawberry.input
class SetPlanningPolicyInput:
    review_period_days: int | None = None
    service_level: Decimal | None = None
    history_weeks: int | None = None
    prefer_transfers: bool | None = None


@strawberry.type
class PlanningPolicyPayload:
    policy: PlanningPolicy | None
    user_errors: list[UserError]


@strawberry.type
class PlanningPolicyQuery:
    @strawberry.field
    async def planning_policy(self, info: Info) -> PlanningPolicy:
        found = await policies.planning_policy(info.context.session, info.context.user())
        return PlanningPolicy.from_policy(found)

    @strawberry.field(description="The transfers that would cover this product's shortages from "
                                  "its other warehouses' surplus, largest shortage first.")
    async def transfer_suggestions(self, info: Info, sku: str) -> list[TransferSuggestion]:
        found = await transfer_suggestions(info.context.db, info.context.user(), sku)
        return [TransferSuggestion(from_warehouse_code=t.from_warehouse_code,
                                   to_warehouse_code=t.to_warehouse_code, quantity=t.quantity,
                                   explanation=t.note) for t in found]


@strawberry.type
class PlanningPolicyMutation:
    @strawberry.mutation(description="Change how planning runs; fields left out keep their "
                                     "value. Purchase managers.")
    async def set_planning_policy(
        self, info: Info, input: SetPlanningPolicyInput
    ) -> PlanningPolicyPayload:
        context = info.context
        change = policies.PolicyChange(input.review_period_days, input.service_level,
                                       input.history_weeks, input.prefer_transfers)
        found, errors = await attempt(
            lambda: policies.set_planning_policy(context.db, context.user(), change))
        return PlanningPolicyPayload(policy=found and PlanningPolicy.from_policy(found),
                                     user_errors=errors)
