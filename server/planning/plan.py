"""Plan one product × warehouse: rules, forecast, netting → a suggestion or nothing. Pure: plain
data in, plain data out, so a simulation can call it day by day.

Inputs per pair (``PairFacts``): weekly sales history, forecasts entered by sales, open orders by
the week they are due, backordered quantity, supply, the product's own safety stock and its
suppliers' terms. The statistical baseline (``server.planning.baseline``) fills the weeks sales
did not forecast and sizes a safety stock from the forecast error; the safety stock used is the
larger of that and the product's own.

Rules (``server.planning.rules``) then change the planning parameters, and the changes carry into
netting like this:
- safety stock: used as is;
- forecast: the parameter is the average weekly forecast over the coverage horizon; every
  week's forecast is scaled by after ÷ before (set from zero: every week becomes the value);
- lead time: the parameter starts at the first candidate supplier's lead time (preferred first,
  then cheapest); every supplier's lead time moves by the same number of days (rounded up);
- minimum order quantity: starts at that supplier's MOQ; each supplier orders at least the
  rule's result, or its own MOQ if that is larger.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from typing import Any

from server.errors import DomainError
from server.planning.baseline import Baseline
from server.planning.metrics import ProductFacts
from server.planning.netting import (
    QUANTITY_PLACES,
    NettingInput,
    NettingResult,
    SupplierTerms,
    Supply,
    net_requirement,
    week_start,
)
from server.planning.rules import PlanningParameters, Rule, RuleEvaluator, RuleOutcome
from server.weeks import week_label

DAYS_PER_WEEK = 7
ZERO = Decimal(0)
# A week beyond the baseline's horizon, as the baseline's own zero would read.
_NO_BASELINE_WEEK = Decimal(str(round(0.0, 4)))


@dataclass(frozen=True, slots=True)
class SupplierOption:
    terms: SupplierTerms
    supplier_id: int
    currency: str


@dataclass(frozen=True, slots=True)
class PairFacts:
    product_id: int
    warehouse_id: int
    sku: str
    warehouse_code: str
    category: str
    tags: tuple[str, ...]
    product_safety_stock: Decimal
    history: tuple[float, ...]  # weekly sales up to last week, oldest → newest
    entered_forecast: Mapping[date, Decimal]  # week Monday → quantity
    orders_by_week: Mapping[date, Decimal]  # open order quantity due that week
    supply: Supply
    backordered: Decimal
    suppliers: tuple[SupplierOption, ...]
    # ``metrics.week_over_week_growth(history)``, when the reader computed it for many pairs
    # at once (``metrics.growth_rows``); None: computed when a rule needs it.
    history_growth: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    review_period_days: int = 7
    service_level: float = 0.95
    history_weeks: int = 104
    # Cover a shortage by a transfer from a warehouse with surplus before suggesting a PO.
    prefer_transfers: bool = False


@dataclass(frozen=True, slots=True)
class PlannedSuggestion:
    quantity: Decimal
    supplier_id: int
    unit_price: Decimal
    currency: str
    order_date: date
    need_date: date | None
    urgent: bool
    explanation: dict[str, Any]


def horizon_weeks(suppliers: Sequence[SupplierTerms], policy: Policy, today: date) -> int:
    """Weeks from this week's Monday that cover the longest horizon any supplier could need."""
    longest = max((supplier.lead_time_days for supplier in suppliers), default=0)
    days = today.weekday() + longest + policy.review_period_days
    return max(math.ceil(days / DAYS_PER_WEEK), 1)


def first_candidate(options: Sequence[SupplierOption]) -> SupplierOption:
    """The supplier rules' lead time and MOQ start from: the preferred one, else the cheapest."""
    if len(options) == 1:
        return options[0]
    return min(options, key=lambda o: (not o.terms.preferred, o.terms.unit_price, o.terms.code))


@dataclass(frozen=True, slots=True)
class NettedPair:
    """One pair's netting with what the suggestion explains it by."""

    result: NettingResult
    outcome: RuleOutcome
    forecast: dict[date, Decimal]
    sources: dict[date, str]
    statistical: Decimal
    active: tuple[SupplierOption, ...]


def net_pair(
    facts: PairFacts, baseline: Baseline | None, rules: Sequence[Rule], policy: Policy,
    today: date, evaluator: RuleEvaluator | None = None,
) -> NettedPair | None:
    """Rules, forecast and netting of one pair; None when it has no active supplier (or its
    input cannot be netted). Many pairs share one ``evaluator`` of ``rules``."""
    active = tuple(option for option in facts.suppliers if option.terms.active)
    if not active:
        return None
    first = first_candidate(active)
    monday = week_start(today)
    terms = tuple(option.terms for option in active)
    forecast, sources = _weekly_forecast(
        facts, baseline, monday, horizon_weeks(terms, policy, today))
    statistical = Decimal(str(round(baseline.safety_stock, 4))) if baseline else ZERO
    parameters = PlanningParameters(
        safety_stock=max(facts.product_safety_stock, statistical),
        forecast=_average(forecast),
        lead_time_days=Decimal(first.terms.lead_time_days),
        min_order_quantity=first.terms.moq,
    )
    outcome = _apply(evaluator or RuleEvaluator(rules), facts, parameters, today)
    suppliers = _adjusted_terms(terms, parameters, outcome.parameters)
    # A longer lead time from a rule needs more weeks of forecast than the parameter saw.
    if suppliers is not terms:
        weeks = horizon_weeks(suppliers, policy, today)
        if weeks != len(forecast):
            forecast, sources = _weekly_forecast(facts, baseline, monday, weeks)
    forecast = _scaled(forecast, parameters.forecast, outcome.parameters.forecast)
    try:
        result = net_requirement(NettingInput(
            today=today, safety_stock=outcome.parameters.safety_stock, weekly_forecast=forecast,
            supply=facts.supply, backordered=facts.backordered,
            open_orders_by_week=facts.orders_by_week, suppliers=suppliers,
            review_period_days=policy.review_period_days,
        ))
    except DomainError:
        return None
    return NettedPair(result, outcome, forecast, sources, statistical, active)


def plan_pair(
    facts: PairFacts, baseline: Baseline | None, rules: Sequence[Rule], policy: Policy,
    today: date,
) -> PlannedSuggestion | None:
    """The suggestion for one pair, or None when nothing is to be ordered (or nobody sells it)."""
    netted = net_pair(facts, baseline, rules, policy, today)
    return suggestion_of(facts, baseline, policy, netted) if netted else None


def suggestion_of(
    facts: PairFacts, baseline: Baseline | None, policy: Policy, netted: NettedPair,
    extra_notes: Sequence[str] = (),
) -> PlannedSuggestion | None:
    """The purchase suggestion a netting makes, or None when it orders nothing."""
    result, outcome = netted.result, netted.outcome
    if result.quantity <= 0 or result.order_date is None:
        return None
    chosen = next(o for o in netted.active if o.terms.code == result.supplier_code)
    notes = [baseline.note() if baseline else "no sales history: no statistical baseline",
             _safety_note(facts.product_safety_stock, netted.statistical, policy),
             *extra_notes]
    sources = netted.sources
    return PlannedSuggestion(
        quantity=result.quantity, supplier_id=chosen.supplier_id, unit_price=result.unit_price,
        currency=chosen.currency, order_date=result.order_date, need_date=result.need_date,
        urgent=result.urgent,
        explanation={
            "terms": [{"term": term, "value": _shown(value), "note": note}
                      for term, value, note in result.explanation],
            "rules": [{"rule": a.rule, "target": a.target.value, "before": _shown(a.before),
                       "after": _shown(a.after)} for a in outcome.applications],
            "ruleFailures": [{"rule": f.rule, "message": f.message} for f in outcome.failures],
            "notes": notes,
            "forecastWeeks": [{"week": _week_label(week), "quantity": _shown(quantity),
                               "source": sources[week]}
                              for week, quantity in netted.forecast.items()],
        },
    )


def _weekly_forecast(
    facts: PairFacts, baseline: Baseline | None, monday: date, weeks: int
) -> tuple[dict[date, Decimal], dict[date, str]]:
    entered = facts.entered_forecast
    fitted = baseline.weekly if baseline else ()
    horizon = _weeks_from(monday, weeks)
    if not entered:
        # Most pairs: every week from the baseline.
        known = len(fitted)
        return ({week: Decimal(str(round(fitted[offset], 4))) if offset < known
                 else _NO_BASELINE_WEEK for offset, week in enumerate(horizon)},
                dict.fromkeys(horizon, "baseline"))
    forecast: dict[date, Decimal] = {}
    sources: dict[date, str] = {}
    for offset, week in enumerate(horizon):
        quantity = entered.get(week)
        if quantity is not None:
            forecast[week], sources[week] = quantity, "entered"
        else:
            forecast[week] = (Decimal(str(round(fitted[offset], 4))) if offset < len(fitted)
                              else _NO_BASELINE_WEEK)
            sources[week] = "baseline"
    return forecast, sources


@lru_cache(maxsize=64)
def _weeks_from(monday: date, weeks: int) -> tuple[date, ...]:
    return tuple(monday + timedelta(weeks=offset) for offset in range(weeks))


def _average(forecast: Mapping[date, Decimal]) -> Decimal:
    total = sum(forecast.values(), ZERO)
    return (total / len(forecast)).quantize(QUANTITY_PLACES) if forecast else ZERO


def _apply(
    evaluator: RuleEvaluator, facts: PairFacts, parameters: PlanningParameters, today: date
) -> RuleOutcome:
    if not evaluator.rules:
        return RuleOutcome(parameters, ())
    return evaluator.apply(ProductFacts(
        sku=facts.sku, warehouse_code=facts.warehouse_code, category=facts.category,
        tags=facts.tags, weekly_sales=facts.history, available=facts.supply.available,
        month=today.month, growth=facts.history_growth,
    ), parameters)


def _scaled(
    forecast: dict[date, Decimal], before: Decimal, after: Decimal
) -> dict[date, Decimal]:
    if after == before:
        return forecast
    if before == 0:
        return dict.fromkeys(forecast, after)
    factor = after / before
    return {week: (quantity * factor).quantize(QUANTITY_PLACES)
            for week, quantity in forecast.items()}


def _adjusted_terms(
    terms: tuple[SupplierTerms, ...], before: PlanningParameters, after: PlanningParameters
) -> tuple[SupplierTerms, ...]:
    """Every supplier's terms as the rules changed them: ``terms`` itself when unchanged."""
    shift = after.lead_time_days - before.lead_time_days
    moq = after.min_order_quantity
    moq_changed = moq != before.min_order_quantity and moq > 0
    if not shift and not moq_changed:
        return terms
    adjusted = []
    for supplier in terms:
        lead_time_days, supplier_moq = supplier.lead_time_days, supplier.moq
        if shift:
            days = (Decimal(lead_time_days) + shift).to_integral_value(ROUND_CEILING)
            lead_time_days = max(int(days), 0)
        if moq_changed:
            supplier_moq = max(supplier_moq, moq)
        adjusted.append(SupplierTerms(supplier.code, supplier.unit_price, lead_time_days,
                                      supplier_moq, supplier.pack_multiple, supplier.preferred,
                                      supplier.active))
    return tuple(adjusted)


def _safety_note(own: Decimal, statistical: Decimal, policy: Policy) -> str:
    sized = (f"statistical {statistical} (service level {policy.service_level:.1%}, from the "
             "forecast error and the lead time)")
    if own > statistical:
        return f"safety stock: the product's own {own} (above the {sized})"
    return f"safety stock: {sized}; the product's own is {own}"


def _shown(value: Decimal | int | str) -> str:
    """A value as the explanation shows it: quantities to at most 4 places, no trailing zeros."""
    if isinstance(value, Decimal):
        if not value:
            # Zero and minus zero are equal, so they are not remembered: their sign is their form.
            return "-0" if value.is_signed() else "0"
        return _shown_quantity(value)
    return str(value)


# A run shows the same few quantities (lead times, MOQs, stock levels) in most explanations;
# equal quantities show alike (whatever their exponent), so they share one entry.
@lru_cache(maxsize=4096)
def _shown_quantity(value: Decimal) -> str:
    return format(value.quantize(QUANTITY_PLACES).normalize(), "f")


# Every suggestion of a run labels the same few weeks.
_week_label = lru_cache(maxsize=512)(week_label)
