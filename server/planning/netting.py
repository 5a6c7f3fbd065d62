"""Netting for one product × warehouse: how much to order, from whom and when — pure functions
over frozen dataclasses, no database, so a simulation can call `net_requirement` day by day.

Time. Day `today` is the first day of the coverage horizon, which runs `horizon_days` days
(`today` … `today + horizon_days − 1`); `horizon_days` = chosen supplier's lead time + review
period. Weeks are ISO weeks keyed by their Monday; a week absent from the forecast counts as zero
(the caller fills gaps with its statistical baseline before calling).

Demand. Open sales orders consume the forecast of the week they are due in instead of being
added on top: per week, the forecast still to come is max(forecast − open orders due that week,
0). The orders themselves are counted once, where they already are: the part reserved for them
has left both sides (see Net), the part waiting for stock is ``backordered``. So an order the
forecast predicted is not counted twice, and an order beyond the forecast still counts in full.
A week partly inside the horizon counts pro rata: demand × (days of that week inside it) / 7.

Net. `net = safety_stock + forecast_in_horizon + backordered − (available + pending_qc +
in_transit + on_order)`, the source document's formula, with purchase order lines still in
draft or awaiting approval added to supply as ``draft_orders``. Reserved stock and the order
lines it is reserved for leave both sides, so neither is an input. Demand is carried in
sevenths of a week, so pro rata needs a single division, at the end; output quantities are
rounded half up to 4 places, the database's quantity precision.

When. Projected stock starts at supply − backordered (in transit and on order count as if on
hand: no arrival dates are known here) and falls by the day's share of its week's demand. The need
date is the first day whose closing projected stock is below safety stock (today when it already
starts below). The suggested order date is need date − lead time; if that is before today, or
stock already starts below safety stock, the order date is today and the suggestion is urgent.

Supplier. Among active suppliers: the preferred one; else the cheapest whose lead time meets the
need date (today + lead time ≤ need date; all do when stock never crosses); else the fastest.
Ties go to the cheaper, then the faster, then the lower code. The horizon depends on the chosen
supplier's lead time while the choice depends on the need date; the circle is cut because the
need date does not depend on any supplier: it is projected over the longest candidate horizon
first, the supplier chosen from it, and only then the net computed over that supplier's horizon.

Quantity. If net > 0: raised to the supplier's MOQ, then up to a multiple of its pack multiple
(net 7, MOQ 10, pack 6 → 12); otherwise 0 and no order date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from server.errors import DomainError, InvalidInput, Problem

DAYS_PER_WEEK = 7
QUANTITY_PLACES = Decimal("0.0001")
ZERO = Decimal(0)


class SupplierRule(StrEnum):
    PREFERRED = "preferred"
    CHEAPEST_ON_TIME = "cheapest_on_time"
    FASTEST = "fastest"


@dataclass(frozen=True, slots=True)
class SupplierTerms:
    """One candidate supplier of the product."""

    code: str
    unit_price: Decimal
    lead_time_days: int
    moq: Decimal = Decimal(1)
    pack_multiple: Decimal = Decimal(1)
    preferred: bool = False
    active: bool = True


@dataclass(frozen=True, slots=True)
class Supply:
    available: Decimal = Decimal(0)
    pending_qc: Decimal = Decimal(0)
    in_transit: Decimal = Decimal(0)
    on_order: Decimal = Decimal(0)
    # Lines of purchase orders still in draft or awaiting approval (a converted suggestion, a
    # make-to-order requisition): not yet on order, but counting them keeps a need that a
    # buyer already turned into a PO from being suggested again.
    draft_orders: Decimal = Decimal(0)

    def total(self) -> Decimal:
        return (self.available + self.pending_qc + self.in_transit + self.on_order
                + self.draft_orders)


@dataclass(frozen=True, slots=True)
class NettingInput:
    """Everything netting needs for one product × warehouse. Mapping keys are ISO week Mondays."""

    today: date
    safety_stock: Decimal
    weekly_forecast: Mapping[date, Decimal]
    supply: Supply
    backordered: Decimal
    open_orders_by_week: Mapping[date, Decimal]
    suppliers: Sequence[SupplierTerms]
    review_period_days: int = 7


class Term(NamedTuple):
    """One line of the explanation: a term of the formula (or a decision), its value, a note.
    A named tuple: every netting makes twelve, and a tuple is made several times faster than a
    frozen dataclass."""

    term: str
    value: Decimal | int | str
    note: str = ""


@dataclass(frozen=True, slots=True)
class NettingResult:
    quantity: Decimal
    supplier_code: str
    unit_price: Decimal
    supplier_rule: SupplierRule
    net: Decimal
    horizon_days: int
    need_date: date | None
    order_date: date | None
    urgent: bool
    explanation: tuple[Term, ...]


def week_start(day: date) -> date:
    """The Monday of the ISO week containing `day`."""
    return day - timedelta(days=day.weekday())


def weekly_demand(
    forecast: Mapping[date, Decimal], open_orders: Mapping[date, Decimal]
) -> dict[date, Decimal]:
    """Per week, the forecast not yet consumed by the open orders due that week."""
    return {
        week: max(quantity - open_orders.get(week, ZERO), ZERO)
        for week, quantity in sorted(forecast.items())
    }


@lru_cache(maxsize=256)
def _week_segments(today: date, days: int) -> tuple[tuple[date, int, int], ...]:
    """(week Monday, days of the horizon before that week, days of that week inside it); cached,
    since a planning run asks the same few questions for every product."""
    segments: list[tuple[date, int, int]] = []
    offset = 0
    while offset < days:
        day = today + timedelta(days=offset)
        inside = min(DAYS_PER_WEEK - day.weekday(), days - offset)
        segments.append((week_start(day), offset, inside))
        offset += inside
    return tuple(segments)


def _demand_in_sevenths(today: date, days: int, demand: Mapping[date, Decimal]) -> Decimal:
    """Seven times the horizon's demand: exact in Decimal, divided by 7 only once at the end."""
    return sum(
        (demand.get(week, ZERO) * inside for week, _, inside in _week_segments(today, days)),
        ZERO,
    )


def demand_in_horizon(today: date, days: int, demand: Mapping[date, Decimal]) -> Decimal:
    """Demand of the `days` days from `today` on, partial weeks pro rata by days inside."""
    return _quantity(_demand_in_sevenths(today, days, demand) / DAYS_PER_WEEK)


def need_date(
    today: date,
    start_stock: Decimal,
    safety_stock: Decimal,
    demand: Mapping[date, Decimal],
    days: int,
) -> date | None:
    """First day within `days` days whose closing projected stock is below safety stock; today
    when stock starts below it; None when it never crosses."""
    if start_stock < safety_stock:
        return today
    headroom_sevenths = (start_stock - safety_stock) * DAYS_PER_WEEK
    for week, before, inside in _week_segments(today, days):
        weekly = demand.get(week, ZERO)
        if weekly == 0:
            continue
        # Closing stock of day j of this segment is below safety once j × weekly > 7 × headroom.
        crossing_day = int(headroom_sevenths // weekly) + 1
        if crossing_day <= inside:
            return today + timedelta(days=before + crossing_day - 1)
        headroom_sevenths -= weekly * inside
    return None


def choose_supplier(
    suppliers: Sequence[SupplierTerms], today: date, needed_on: date | None
) -> tuple[SupplierTerms, SupplierRule, str]:
    """The supplier to order from, the rule that chose it and why, in words."""
    active = [supplier for supplier in suppliers if supplier.active]
    if not active:
        raise DomainError("no active supplier for this product", code="NO_ACTIVE_SUPPLIER")

    def by_price(supplier: SupplierTerms) -> tuple[Decimal, int, str]:
        return supplier.unit_price, supplier.lead_time_days, supplier.code

    preferred = [supplier for supplier in active if supplier.preferred]
    if preferred:
        chosen = min(preferred, key=by_price)
        return chosen, SupplierRule.PREFERRED, f"preferred supplier {chosen.code}"
    on_time = [
        supplier
        for supplier in active
        if needed_on is None or today + timedelta(days=supplier.lead_time_days) <= needed_on
    ]
    if on_time:
        chosen = min(on_time, key=by_price)
        need = "stock never falls below safety" if needed_on is None else f"needed {needed_on}"
        return chosen, SupplierRule.CHEAPEST_ON_TIME, (
            f"cheapest of {len(on_time)} supplier(s) delivering in time ({need})"
        )
    chosen = min(active, key=lambda s: (s.lead_time_days, s.unit_price, s.code))
    return chosen, SupplierRule.FASTEST, (
        f"no supplier delivers by {needed_on}; fastest lead time {chosen.lead_time_days} d"
    )


def round_to_terms(net: Decimal, supplier: SupplierTerms) -> Decimal:
    """`net` raised to the MOQ, then up to a multiple of the pack multiple; 0 when net ≤ 0."""
    if net <= 0:
        return Decimal(0)
    packs, rest = divmod(max(net, supplier.moq), supplier.pack_multiple)
    return (packs + (1 if rest else 0)) * supplier.pack_multiple


def input_problems(inputs: NettingInput) -> list[Problem]:
    """Everything wrong with the input (negative quantities, weeks not keyed by Monday, ...)."""
    problems: list[Problem] = []

    def check(value: Decimal | int, field: str, *, positive: bool = False) -> None:
        if value < 0 or (positive and value == 0) or (
            isinstance(value, Decimal) and not value.is_finite()
        ):
            bound = "positive" if positive else "zero or more"
            message = f"{field} must be {bound} (got {value})"
            problems.append(Problem("INVALID_INPUT", message, field))

    check(inputs.safety_stock, "safetyStock")
    check(inputs.backordered, "backordered")
    check(inputs.review_period_days, "reviewPeriodDays")
    for bucket in ("available", "pending_qc", "in_transit", "on_order", "draft_orders"):
        check(getattr(inputs.supply, bucket), f"supply.{bucket}")
    for field, weeks in (
        ("weeklyForecast", inputs.weekly_forecast),
        ("openOrdersByWeek", inputs.open_orders_by_week),
    ):
        for week, quantity in weeks.items():
            if week.weekday() != 0:
                message = f"{field}: week {week} is not a Monday (ISO week start)"
                problems.append(Problem("INVALID_INPUT", message, field))
            check(quantity, f"{field}[{week}]")
    for supplier in inputs.suppliers:
        field = f"suppliers[{supplier.code}]"
        check(supplier.unit_price, f"{field}.unitPrice")
        check(supplier.lead_time_days, f"{field}.leadTimeDays")
        check(supplier.moq, f"{field}.moq", positive=True)
        check(supplier.pack_multiple, f"{field}.packMultiple", positive=True)
    return problems


def _plainly_valid(inputs: NettingInput) -> bool:
    """True when ``input_problems`` would find nothing: checked in one pass, because a planning
    run nets every product and almost every input is valid; any doubt goes to the full check."""
    supply = inputs.supply
    quantities = [inputs.safety_stock, inputs.backordered, supply.available, supply.pending_qc,
                  supply.in_transit, supply.on_order, supply.draft_orders,
                  *inputs.weekly_forecast.values(), *inputs.open_orders_by_week.values()]
    positive: list[Decimal] = []
    for supplier in inputs.suppliers:
        quantities.append(supplier.unit_price)
        positive += (supplier.moq, supplier.pack_multiple)
        if supplier.lead_time_days < 0:
            return False
    if inputs.review_period_days < 0:
        return False
    for quantity in quantities:
        if not (type(quantity) is Decimal and quantity.is_finite() and quantity >= 0):
            return False
    for quantity in positive:
        if not (type(quantity) is Decimal and quantity.is_finite() and quantity > 0):
            return False
    for weeks in (inputs.weekly_forecast, inputs.open_orders_by_week):
        for week in weeks:
            if week.weekday() != 0:
                return False
    return True


def net_requirement(inputs: NettingInput) -> NettingResult:
    """Net the product's demand against its supply; raises InvalidInput on bad input and
    DomainError(code NO_ACTIVE_SUPPLIER) when no supplier is active."""
    if not _plainly_valid(inputs):
        problems = input_problems(inputs)
        if problems:
            raise InvalidInput.of(problems)
    today, supply = inputs.today, inputs.supply
    demand = weekly_demand(inputs.weekly_forecast, inputs.open_orders_by_week)
    start_stock = supply.total() - inputs.backordered
    longest_lead = max((s.lead_time_days for s in inputs.suppliers if s.active), default=0)
    longest = longest_lead + inputs.review_period_days
    needed_on = need_date(today, start_stock, inputs.safety_stock, demand, longest)
    supplier, rule, why = choose_supplier(inputs.suppliers, today, needed_on)

    horizon_days = supplier.lead_time_days + inputs.review_period_days
    forecast_sevenths = _demand_in_sevenths(today, horizon_days, demand)
    forecast = _quantity(forecast_sevenths / DAYS_PER_WEEK)
    net_sevenths = (
        (inputs.safety_stock + inputs.backordered - supply.total()) * DAYS_PER_WEEK
        + forecast_sevenths
    )
    net = _quantity(net_sevenths / DAYS_PER_WEEK)
    quantity = round_to_terms(net, supplier)
    order_date: date | None = None
    urgent = False
    if quantity > 0 and needed_on is not None:
        latest = needed_on - timedelta(days=supplier.lead_time_days)
        urgent = latest < today or start_stock < inputs.safety_stock
        order_date = max(latest, today)

    explanation = (
        Term("horizon_days", horizon_days,
             f"lead time {supplier.lead_time_days} d + review period "
             f"{inputs.review_period_days} d"),
        Term("safety_stock", inputs.safety_stock),
        Term("forecast_in_horizon", forecast,
             _forecast_note(today, horizon_days, inputs)),
        Term("backordered", inputs.backordered),
        Term("available", supply.available),
        Term("pending_qc", supply.pending_qc),
        Term("in_transit", supply.in_transit),
        Term("on_order", supply.on_order),
        Term("draft_orders", supply.draft_orders, "draft or unapproved purchase order lines"),
        Term("net", net, "safety_stock + forecast_in_horizon + backordered − "
             "(available + pending_qc + in_transit + on_order + draft_orders)"),
        Term("quantity", quantity, _rounding_note(net, quantity, supplier)),
        Term("supplier", supplier.code, f"{rule.value}: {why}"),
    )
    return NettingResult(
        quantity=quantity,
        supplier_code=supplier.code,
        unit_price=supplier.unit_price,
        supplier_rule=rule,
        net=net,
        horizon_days=horizon_days,
        need_date=needed_on,
        order_date=order_date,
        urgent=urgent,
        explanation=explanation,
    )


def _forecast_note(today: date, days: int, inputs: NettingInput) -> str:
    """Per week in the horizon: what counted (forecast or open orders above it), pro rata."""
    forecast_of, orders_of = inputs.weekly_forecast.get, inputs.open_orders_by_week.get
    parts = []
    for week, head, tail in _note_frames(today, days):
        forecast = forecast_of(week, ZERO)
        orders = orders_of(week, ZERO)
        parts.append(f"{head}forecast {forecast} − open orders {orders}{tail}" if orders
                     else f"{head}forecast {forecast}{tail}")
    return "; ".join(parts)


@lru_cache(maxsize=256)
def _note_frames(today: date, days: int) -> tuple[tuple[date, str, str], ...]:
    """Per week of the horizon, the words of its note around its quantities: the same for every
    product of a run with this horizon."""
    return tuple((week, f"week {week}: ", f" × {inside}/7")
                 for week, _, inside in _week_segments(today, days))


def _rounding_note(net: Decimal, quantity: Decimal, supplier: SupplierTerms) -> str:
    if quantity == 0:
        return "net ≤ 0: nothing to order"
    return f"net {net} → MOQ {supplier.moq} → pack multiple {supplier.pack_multiple}: {quantity}"


def _quantity(value: Decimal) -> Decimal:
    return value.quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)
