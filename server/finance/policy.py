"""The finance policy: match tolerances, the approval threshold for supplier invoices and the
customer payment terms. One row (id 1); until someone saves it, the defaults apply."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.rules import raise_problems
from server.db import Database, utcnow
from server.errors import Problem
from server.finance.models import FinancePolicy

POLICY_ID = 1
FINANCE_EDITORS = (Role.FINANCE_DIRECTOR,)  # admins pass every role check
DEFAULT_PRICE_TOLERANCE_PCT = Decimal(0)
DEFAULT_QUANTITY_TOLERANCE_PCT = Decimal(0)
DEFAULT_APPROVAL_THRESHOLD = Decimal(50_000)
DEFAULT_PAYMENT_TERMS_DAYS = 30
MAX_TOLERANCE_PCT = Decimal(100)
MAX_TERMS_DAYS = 3650


@dataclass(frozen=True, slots=True)
class PolicyChanges:
    """What to change; a field left None keeps its current value."""

    price_tolerance_pct: Decimal | None = None
    quantity_tolerance_pct: Decimal | None = None
    approval_threshold: Decimal | None = None
    payment_terms_days: int | None = None


def default_policy() -> FinancePolicy:
    # Column defaults apply only on insert, so the unsaved defaults are spelled out here.
    return FinancePolicy(
        id=POLICY_ID, price_tolerance_pct=DEFAULT_PRICE_TOLERANCE_PCT,
        quantity_tolerance_pct=DEFAULT_QUANTITY_TOLERANCE_PCT,
        approval_threshold=DEFAULT_APPROVAL_THRESHOLD,
        payment_terms_days=DEFAULT_PAYMENT_TERMS_DAYS, updated_at=utcnow())


async def finance_policy(session: AsyncSession) -> FinancePolicy:
    """The policy in force: the saved row, or the defaults (not added to the session)."""
    return await session.get(FinancePolicy, POLICY_ID) or default_policy()


def policy_problems(changes: PolicyChanges) -> list[Problem]:
    problems: list[Problem] = []
    for field, value in (("priceTolerancePct", changes.price_tolerance_pct),
                         ("quantityTolerancePct", changes.quantity_tolerance_pct)):
        if value is not None and not Decimal(0) <= value <= MAX_TOLERANCE_PCT:
            problems.append(Problem("INVALID_INPUT",
                                    f"a tolerance is between 0 and {MAX_TOLERANCE_PCT} %", field))
    if changes.approval_threshold is not None and changes.approval_threshold < 0:
        problems.append(Problem("INVALID_INPUT", "the approval threshold may not be negative",
                                "approvalThreshold"))
    terms = changes.payment_terms_days
    if terms is not None and not 0 <= terms <= MAX_TERMS_DAYS:
        problems.append(Problem("INVALID_INPUT",
                                f"payment terms are between 0 and {MAX_TERMS_DAYS} days",
                                "paymentTermsDays"))
    return problems


async def set_finance_policy(
    db: Database, principal: Principal, changes: PolicyChanges
) -> FinancePolicy:
    """Save the policy (admins and the finance director). Invoices already matched keep their
    results; the new tolerances apply to invoices recorded from now on."""
    principal.require(*FINANCE_EDITORS)
    raise_problems(*policy_problems(changes))
    async with db.transaction() as session:
        policy = await session.get(FinancePolicy, POLICY_ID, with_for_update=True)
        if policy is None:
            policy = default_policy()
            session.add(policy)
        if changes.price_tolerance_pct is not None:
            policy.price_tolerance_pct = changes.price_tolerance_pct
        if changes.quantity_tolerance_pct is not None:
            policy.quantity_tolerance_pct = changes.quantity_tolerance_pct
        if changes.approval_threshold is not None:
            policy.approval_threshold = changes.approval_threshold
        if changes.payment_terms_days is not None:
            policy.payment_terms_days = changes.payment_terms_days
        policy.updated_at = utcnow()
        await session.flush()
        return policy
