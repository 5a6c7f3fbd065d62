"""Statistical weekly forecast and safety stock for one product × warehouse (DESIGN §4b).

This is the baseline for weeks where sales entered no forecast. Plain data in (weekly sales,
oldest → newest; the weeks that were promotions; lead time), plain data out, so a simulation can
replay it week by week.

1. Promotions: each promotional week is replaced by the baseline around it — the median of up to
   four non-promotional weeks on each side — and left out of the error measurement, so a promotion
   is neither mistaken for trend nor counted as forecast error.
2. Classification (Syntetos, Boylan & Croston 2005, "On the categorization of demand patterns",
   JORS 56(5):495–503): ADI = weeks ÷ weeks with demand, CV² = squared coefficient of variation of
   the non-zero quantities; cut-offs ADI 1.32 and CV² 0.49 give smooth, erratic, intermittent and
   lumpy demand.
3. Method: intermittent and lumpy demand (ADI ≥ 1.32) → Croston with the Syntetos–Boylan
   Approximation; smooth and erratic → Holt's linear trend with a damped trend, on a series
   deseasonalised by multiplicative 52-week indices when at least two full years of history exist
   and the indices stand out of the noise (``server.planning.smoothing``).
4. Safety stock: SS = z · sqrt((LT + R) · σ_d² + d² · σ_LT²) with σ_d the RMSE of the one-step-ahead
   forecast errors over the history (units/week), d the mean forecast over the protection interval
   LT + R (units/week), LT and σ_LT the lead time's mean and standard deviation and R the review
   period (weeks), and z = Φ⁻¹(service level) — a cycle service level, the probability of not
   running out before a replenishment arrives.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from server.planning.smoothing import SEASON_WEEKS, Fit, croston_sba, holt_damped, seasonal_indices

INTERVAL_CUTOFF = 1.32
CV_SQUARED_CUTOFF = 0.49
SEASONAL_HISTORY_WEEKS = 2 * SEASON_WEEKS
_PROMOTION_NEIGHBOURS = 4


class Pattern(StrEnum):
    NO_DEMAND = "no demand"
    SMOOTH = "smooth"
    ERRATIC = "erratic"
    INTERMITTENT = "intermittent"
    LUMPY = "lumpy"


@dataclass(frozen=True, slots=True)
class DemandPattern:
    kind: Pattern
    average_interval: float  # ADI, weeks per week with demand
    cv_squared: float

    @property
    def intermittent(self) -> bool:
        return self.kind in (Pattern.INTERMITTENT, Pattern.LUMPY)


@dataclass(frozen=True, slots=True)
class LeadTime:
    """Supplier lead time in weeks (mean and standard deviation) and the review period."""

    weeks: float
    std_weeks: float = 0.0
    review_weeks: float = 0.0

    @property
    def protection_weeks(self) -> float:
        return self.weeks + self.review_weeks


@dataclass(frozen=True, slots=True)
class SafetyStock:
    quantity: float
    z: float
    service_level: float
    demand_error: float
    mean_demand: float
    explanation: str


@dataclass(frozen=True, slots=True)
class StatisticalForecast:
    weekly: tuple[float, ...]
    method: str
    parameters: dict[str, float]
    pattern: DemandPattern
    demand_error: float
    safety_stock: SafetyStock
    explanation: tuple[str, ...] = field(default=())


def classify(series: Sequence[float]) -> DemandPattern:
    demands = [quantity for quantity in series if quantity > 0]
    if not demands:
        return DemandPattern(Pattern.NO_DEMAND, math.inf, 0.0)
    interval = len(series) / len(demands)
    mean = statistics.fmean(demands)
    cv_squared = (statistics.pstdev(demands) / mean) ** 2
    if interval < INTERVAL_CUTOFF:
        kind = Pattern.SMOOTH if cv_squared < CV_SQUARED_CUTOFF else Pattern.ERRATIC
    else:
        kind = Pattern.INTERMITTENT if cv_squared < CV_SQUARED_CUTOFF else Pattern.LUMPY
    return DemandPattern(kind, interval, cv_squared)


def without_promotions(series: Sequence[float], promotional: Collection[int]) -> list[float]:
    """``series`` with every promotional week replaced by the median of its ordinary neighbours."""
    cleaned = list(series)
    ordinary = [week for week in range(len(series)) if week not in promotional]
    if not ordinary:
        return cleaned
    for week in promotional:
        if not 0 <= week < len(series):
            continue
        before = [w for w in ordinary if w < week][-_PROMOTION_NEIGHBOURS:]
        after = [w for w in ordinary if w > week][:_PROMOTION_NEIGHBOURS]
        neighbours = before + after or ordinary
        cleaned[week] = statistics.median(series[w] for w in neighbours)
    return cleaned


def service_level_z(service_level: float) -> float:
    if not 0.5 <= service_level < 1:
        raise ValueError(f"service level must be in [0.5, 1), got {service_level}")
    return statistics.NormalDist().inv_cdf(service_level)


def safety_stock(
    demand_error: float, mean_demand: float, lead_time: LeadTime, service_level: float
) -> SafetyStock:
    z = service_level_z(service_level)
    exposure = lead_time.protection_weeks
    spread = math.sqrt(exposure * demand_error**2 + mean_demand**2 * lead_time.std_weeks**2)
    quantity = z * spread
    explanation = (
        f"safety stock {quantity:.2f} = z {z:.3f} (service level {service_level:.1%}) × "
        f"√({exposure:g} wk × σ_d {demand_error:.2f}² + d {mean_demand:.2f}² × "
        f"σ_LT {lead_time.std_weeks:g} wk²)"
    )
    return SafetyStock(quantity, z, service_level, demand_error, mean_demand, explanation)


def statistical_forecast(
    history: Sequence[Decimal | float],
    horizon: int,
    lead_time: LeadTime,
    *,
    service_level: float = 0.95,
    promotional_weeks: Collection[int] = frozenset(),
) -> StatisticalForecast:
    """Forecast the next ``horizon`` weeks from weekly ``history`` (oldest → newest) and size the
    safety stock; ``promotional_weeks`` are indexes into ``history``."""
    promotional = frozenset(week for week in promotional_weeks if 0 <= week < len(history))
    series = without_promotions([float(quantity) for quantity in history], promotional)
    explanation: list[str] = []
    if promotional:
        explanation.append(
            f"{len(promotional)} promotional week(s) replaced by the surrounding baseline"
        )
    ordinary = [quantity for week, quantity in enumerate(series) if week not in promotional]
    pattern = classify(ordinary)
    explanation.append(
        f"{len(series)} weeks of history: {pattern.kind} demand (ADI "
        f"{pattern.average_interval:.2f}, CV² {pattern.cv_squared:.2f}; Syntetos–Boylan cut-offs "
        f"{INTERVAL_CUTOFF}, {CV_SQUARED_CUTOFF})"
    )
    cover_weeks = max(horizon, math.ceil(lead_time.protection_weeks), 1)
    method, fit = _fit(series, cover_weeks, promotional, pattern, explanation)
    demand_error = _rmse(fit, series)
    if fit.one_step_errors:
        explanation.append(
            f"forecast error σ_d {demand_error:.2f}/week: RMSE of "
            f"{len(fit.one_step_errors)} one-step-ahead errors"
        )
    else:
        explanation.append(
            f"too little history for one-step errors: σ_d {demand_error:.2f}/week is the "
            "history's standard deviation"
        )
    protection = fit.weekly[: max(math.ceil(lead_time.protection_weeks), 1)]
    stock = safety_stock(demand_error, statistics.fmean(protection), lead_time, service_level)
    explanation.append(stock.explanation)
    return StatisticalForecast(
        fit.weekly[:horizon], method, fit.parameters, pattern, demand_error, stock,
        tuple(explanation),
    )


def _fit(
    series: list[float],
    weeks: int,
    promotional: frozenset[int],
    pattern: DemandPattern,
    explanation: list[str],
) -> tuple[str, Fit]:
    if pattern.kind is Pattern.NO_DEMAND:
        explanation.append("no demand in the history: forecast zero")
        return "none", Fit((0.0,) * weeks, (), {})
    if pattern.intermittent:
        fit = croston_sba(series, weeks, promotional)
        explanation.append(
            f"Croston/SBA: size {fit.parameters['size']:.2f} every "
            f"{fit.parameters['interval']:.2f} weeks × (1 − α/2), α {fit.parameters['alpha']:g}"
            f" → {fit.weekly[0]:.2f}/week"
        )
        return "croston_sba", fit
    indices = seasonal_indices(series) if len(series) >= SEASONAL_HISTORY_WEEKS else None
    if indices is None:
        fit = holt_damped(series, weeks, promotional)
        method = "holt_damped"
    else:
        fit = _seasonal_holt(series, weeks, promotional, indices)
        method = "holt_damped_seasonal"
        explanation.append(
            f"52-week multiplicative seasonality: indices {min(indices):.2f}–{max(indices):.2f}"
        )
    parameters = fit.parameters
    explanation.append(
        f"Holt damped trend: α {parameters['alpha']:g}, β {parameters['beta']:g}, "
        f"φ {parameters['phi']:g}; level {parameters['level']:.2f}, "
        f"trend {parameters['trend']:+.2f}/week"
    )
    return method, fit


def _seasonal_holt(
    series: list[float], weeks: int, promotional: frozenset[int], indices: tuple[float, ...]
) -> Fit:
    def index(week: int) -> float:
        return indices[week % SEASON_WEEKS]

    adjusted = [quantity / index(week) for week, quantity in enumerate(series)]
    fit = holt_damped(adjusted, weeks, promotional)
    start = len(series)
    return Fit(
        tuple(value * index(start + step) for step, value in enumerate(fit.weekly)),
        tuple((week, error * index(week)) for week, error in fit.one_step_errors),
        {**fit.parameters, "seasonal_min": min(indices), "seasonal_max": max(indices)},
    )


def _rmse(fit: Fit, series: Sequence[float]) -> float:
    if fit.one_step_errors:
        return math.sqrt(statistics.fmean(error**2 for _, error in fit.one_step_errors))
    return statistics.pstdev(series) if len(series) > 1 else 0.0
