"""Planning with transfers preferred (pure glue between ``plan`` and ``transfer_cover``): the
netting of every warehouse of a product gives its position; the shortages the others' surplus
covers become suggested transfers, and each short warehouse is netted again with what is to come
by transfer counted as in transit (which is what it will be once shipped), so only the rest is
left to a purchase suggestion, rounded to the supplier's terms as ever."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from server.changes import Pair
from server.inventory.moves import plain
from server.planning.baseline import Baseline
from server.planning.plan import NettedPair, PairFacts, Policy, net_pair
from server.planning.rules import Rule
from server.planning.transfer_cover import (
    SuggestedTransfer,
    WarehousePosition,
    cover_shortages,
)


@dataclass(frozen=True, slots=True)
class TransferPlan:
    """Per pair, its netting after transfers and the notes explaining them; and the transfers
    suggested, per product."""

    netted: dict[Pair, NettedPair | None]
    notes: dict[Pair, list[str]]
    transfers: dict[int, tuple[SuggestedTransfer, ...]]


def position_of(facts: PairFacts, netted: NettedPair) -> WarehousePosition:
    terms = {term.term: term.value for term in netted.result.explanation}
    forecast = terms["forecast_in_horizon"]
    assert isinstance(forecast, Decimal)  # netting reports the forecast as a quantity
    return WarehousePosition(
        warehouse_code=facts.warehouse_code, available=facts.supply.available,
        safety_stock=netted.outcome.parameters.safety_stock, forecast_in_horizon=forecast,
        backordered=facts.backordered, net=netted.result.net)


def plan_transfers(
    facts: Sequence[PairFacts], netted: Mapping[Pair, NettedPair | None],
    baseline_of: Mapping[Pair, Baseline], rules: Sequence[Rule], policy: Policy, today: date,
) -> TransferPlan:
    """Cover each product's shortages by transfers among the warehouses in ``facts``."""
    after: dict[Pair, NettedPair | None] = dict(netted)
    notes: dict[Pair, list[str]] = {}
    transfers: dict[int, tuple[SuggestedTransfer, ...]] = {}
    by_product: dict[int, list[PairFacts]] = defaultdict(list)
    for fact in facts:
        if netted.get((fact.product_id, fact.warehouse_id)) is not None:
            by_product[fact.product_id].append(fact)
    for product_id, group in by_product.items():
        if len(group) < 2:
            continue
        positions = [position_of(f, _netted(netted, f)) for f in group]
        cover = cover_shortages(positions)
        if not cover.transfers:
            continue
        transfers[product_id] = cover.transfers
        for fact in group:
            coming = cover.covered.get(fact.warehouse_code)
            if not coming:
                continue
            pair = (fact.product_id, fact.warehouse_id)
            supply = replace(fact.supply, in_transit=fact.supply.in_transit + coming)
            after[pair] = net_pair(replace(fact, supply=supply), baseline_of.get(pair), rules,
                                   policy, today)
            notes[pair] = [
                f"in_transit includes {plain(t.quantity)} by a suggested transfer from "
                f"{t.from_warehouse_code} ({t.note})"
                for t in cover.transfers if t.to_warehouse_code == fact.warehouse_code]
    return TransferPlan(after, notes, transfers)


def _netted(netted: Mapping[Pair, NettedPair | None], fact: PairFacts) -> NettedPair:
    found = netted[(fact.product_id, fact.warehouse_id)]
    assert found is not None  # only pairs that were netted are grouped
    return found
