"""Planning runs: the whole book (``plan_all``: ``caixiao plan``, ``recomputeSuggestions``) and
the live recompute of the product × warehouse pairs a transaction changed (``recompute_pairs``,
run by ``server.changes`` right after any transaction that touched stock or demand commits).

Both read with ``server.planning.inputs``, fit the baseline for every pair with history at once
(``server.planning.baseline``), plan each pair (``server.planning.plan``) and write the result
with ``server.planning.suggestion_store``: open suggestions updated in place, opened, or closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Warehouse
from server.changes import Pair, on_pairs_changed
from server.db import Database, utcnow
from server.errors import NotFound
from server.ops.heap import collector_paused
from server.planning.baseline import Baseline, baselines
from server.planning.forecast import LeadTime
from server.planning.inputs import (
    Window,
    all_pairs,
    load_facts,
    load_policy,
    stocked_siblings,
)
from server.planning.plan import (
    NettedPair,
    PairFacts,
    PlannedSuggestion,
    Policy,
    first_candidate,
    net_pair,
    suggestion_of,
)
from server.planning.rule_store import rules_for_engine
from server.planning.rules import Rule, RuleEvaluator
from server.planning.suggestion_store import record_changes, store_plans
from server.planning.transfer_cover import SuggestedTransfer
from server.planning.transfer_plan import plan_transfers

PLANNERS = (Role.PURCHASER, Role.PURCHASE_MANAGER, Role.ADMIN)
# The longest horizon read for forecasts: lead times beyond half a year are cut to it.
MAX_FORECAST_WEEKS = 26
# Pairs planned together in a full run: large enough for the batch fits, small enough memory.
CHUNK_PAIRS = 10_000
# Up to this many pairs are read pair by pair; more, by product id range.
SMALL_RECOMPUTE = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class PlanSummary:
    pairs: int
    open_suggestions: int
    urgent: int
    seconds: float


def plan_facts(
    facts: Sequence[PairFacts], rules: Sequence[Rule], policy: Policy, today: date,
) -> dict[Pair, PlannedSuggestion | None]:
    """Plan every pair of ``facts`` (pure: what ``plan_all`` and the live recompute share).
    With ``policy.prefer_transfers``, what other warehouses in ``facts`` can spare covers a
    shortage first (``server.planning.transfer_plan``)."""
    netted, baseline_of = _net_all(facts, rules, policy, today)
    notes: dict[Pair, list[str]] = {}
    if policy.prefer_transfers:
        covered = plan_transfers(facts, netted, baseline_of, rules, policy, today)
        netted, notes = covered.netted, covered.notes
    plans: dict[Pair, PlannedSuggestion | None] = {}
    for fact in facts:
        pair = (fact.product_id, fact.warehouse_id)
        found = netted[pair]
        plans[pair] = None if found is None else suggestion_of(
            fact, baseline_of.get(pair), policy, found, notes.get(pair, ()))
    return plans


def transfers_for(
    facts: Sequence[PairFacts], rules: Sequence[Rule], policy: Policy, today: date,
) -> dict[int, tuple[SuggestedTransfer, ...]]:
    """Per product, the transfers that would cover its shortages among the pairs of ``facts``."""
    netted, baseline_of = _net_all(facts, rules, policy, today)
    return plan_transfers(facts, netted, baseline_of, rules, policy, today).transfers


def _net_all(
    facts: Sequence[PairFacts], rules: Sequence[Rule], policy: Policy, today: date,
) -> tuple[dict[Pair, NettedPair | None], dict[Pair, Baseline]]:
    with_history = [f for f in facts if f.history]
    # As many weeks as any horizon may need, rules lengthening lead times included.
    fitted = baselines(
        [f.history for f in with_history], MAX_FORECAST_WEEKS,
        [_lead_time(f, policy) for f in with_history], policy.service_level)
    baseline_of: dict[Pair, Baseline] = {
        (f.product_id, f.warehouse_id): b for f, b in zip(with_history, fitted, strict=True)}
    evaluator = RuleEvaluator(rules)
    netted = {(f.product_id, f.warehouse_id): net_pair(
        f, baseline_of.get((f.product_id, f.warehouse_id)), rules, policy, today, evaluator)
        for f in facts}
    return netted, baseline_of


async def recompute_pairs(session: AsyncSession, pairs: Collection[Pair]) -> None:
    """Recompute the open suggestions of ``pairs`` in the caller's transaction."""
    if not pairs:
        return
    policy = await load_policy(session)
    window = Window.of(utcnow().date(), policy, MAX_FORECAST_WEEKS)
    if policy.prefer_transfers:
        # A change at one warehouse moves what it can spare to, or needs from, the others.
        pairs = set(pairs) | await stocked_siblings(session, {p for p, _ in pairs})
    changed, _, _ = await _plan_pairs(session, sorted(pairs), policy, window)
    await record_changes(session, changed, full=False)


async def plan_all(
    db: Database, principal: Principal, *, warehouse_code: str | None = None,
    progress: Progress | None = None,
) -> PlanSummary:
    """Recompute every pair (of one warehouse, if given) in one transaction."""
    principal.require(*PLANNERS)
    started = time.perf_counter()
    async with db.transaction() as session:
        warehouse_id = None
        if warehouse_code is not None:
            warehouse_id = await session.scalar(
                select(Warehouse.id).where(Warehouse.code == warehouse_code))
            if warehouse_id is None:
                raise NotFound(f"no warehouse with code {warehouse_code!r}",
                               field="warehouseCode")
        policy = await load_policy(session)
        window = Window.of(utcnow().date(), policy, MAX_FORECAST_WEEKS)
        pairs = sorted(await all_pairs(session, window, warehouse_id))
        changed, opened, urgent = await _plan_pairs(session, pairs, policy, window, progress)
        await record_changes(session, changed, full=True)
    return PlanSummary(len(pairs), opened, urgent, time.perf_counter() - started)


async def _plan_pairs(
    session: AsyncSession, pairs: Sequence[Pair], policy: Policy, window: Window,
    progress: Progress | None = None,
) -> tuple[dict[Pair, str], int, int]:
    """Plan sorted ``pairs`` and store the result: what changed, how many suggestions are open
    and urgent among them. Many pairs go in slices of product ids, read by id range, so memory
    stays bounded by one slice; a few are read pair by pair."""
    rules = await rules_for_engine(session)
    by_range = len(pairs) > SMALL_RECOMPUTE
    changed: dict[Pair, str] = {}
    opened = urgent = 0
    for start in range(0, len(pairs), CHUNK_PAIRS):
        chunk = pairs[start:start + CHUNK_PAIRS]
        product_range = (chunk[0][0], chunk[-1][0]) if by_range else None
        with collector_paused():
            facts = await load_facts(session, chunk, window, product_range)
            plans = plan_facts(facts, rules, policy, window.today)
            changed.update(await store_plans(session, plans, chunk, product_range))
            planned = [plan for plan in plans.values() if plan is not None]
            opened += len(planned)
            urgent += sum(plan.urgent for plan in planned)
            # Freed while the collector is still off: objects made while it was off all sit
            # in its youngest generation, and its first pass would walk every one of them.
            del facts, plans, planned
        if progress is not None:
            progress(start + len(chunk), len(pairs))
    return changed, opened, urgent


def _lead_time(facts: PairFacts, policy: Policy) -> LeadTime:
    """The protection interval the baseline's safety stock covers: the first candidate
    supplier's lead time (preferred, else cheapest) plus the review period, in weeks."""
    active = [option for option in facts.suppliers if option.terms.active]
    lead_days = first_candidate(active).terms.lead_time_days if active else 0
    return LeadTime(lead_days / 7, 0.0, policy.review_period_days / 7)


on_pairs_changed(recompute_pairs)
