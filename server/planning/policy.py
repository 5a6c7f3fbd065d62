"""``set_planning_policy``: how planning runs (the single ``planning_policy`` row), changed by a
purchase manager; fields left out keep their value. The next planning run and every live
recompute read it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import Problem
from server.planning.inputs import load_policy
from server.planning.models import PlanningPolicy
from server.planning.plan import Policy

POLICY_SETTERS = (Role.PURCHASE_MANAGER, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class PolicyChange:
    review_period_days: int | None = None
    service_level: Decimal | None = None
    history_weeks: int | None = None
    prefer_transfers: bool | None = None


def change_problems(change: PolicyChange) -> list[Problem]:
    """The bounds the planning_policy table's constraints hold, said as input errors."""
    problems = []
    if change.review_period_days is not None and not 0 <= change.review_period_days <= 365:
        problems.append(Problem("INVALID_INPUT", "reviewPeriodDays must be 0 to 365",
                                "reviewPeriodDays"))
    level = change.service_level
    if level is not None and not (level.is_finite() and Decimal("0.5") <= level < 1):
        problems.append(Problem("INVALID_INPUT", "serviceLevel must be at least 0.5 and below 1",
                                "serviceLevel"))
    if change.history_weeks is not None and not 4 <= change.history_weeks <= 520:
        problems.append(Problem("INVALID_INPUT", "historyWeeks must be 4 to 520",
                                "historyWeeks"))
    return problems


async def planning_policy(session: AsyncSession, principal: Principal) -> Policy:
    principal.require_internal()
    return await load_policy(session)


async def set_planning_policy(db: Database, principal: Principal, change: PolicyChange) -> Policy:
    principal.require(*POLICY_SETTERS)
    raise_problems(*change_problems(change))
    async with db.transaction() as session:
        row = await session.get(PlanningPolicy, 1, with_for_update=True)
        if row is None:
            defaults = Policy()
            row = PlanningPolicy(
                id=1, review_period_days=defaults.review_period_days,
                service_level=Decimal(str(defaults.service_level)),
                history_weeks=defaults.history_weeks, prefer_transfers=defaults.prefer_transfers)
            session.add(row)
        if change.review_period_days is not None:
            row.review_period_days = change.review_period_days
        if change.service_level is not None:
            row.service_level = change.service_level
        if change.history_weeks is not None:
            row.history_weeks = change.history_weeks
        if change.prefer_transfers is not None:
            row.prefer_transfers = change.prefer_transfers
        row.updated_at = utcnow()
        await session.flush()
        return await load_policy(session)
