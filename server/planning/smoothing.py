"""The smoothing methods behind ``server.planning.forecast``, in plain Python over weekly series.

Each fit picks its smoothing constants from a small grid by the sum of squared one-step-ahead
errors (weeks in ``ignored`` — promotions — do not count), and returns those errors so safety
stock can be sized from them. Grids are ordered so that ties keep the first, least reactive
setting (on a perfectly regular series every setting fits exactly).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

SEASON_WEEKS = 52
ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7)
BETAS = (0.05, 0.1, 0.2)
PHIS = (0.98, 0.95, 0.9, 0.85)
CROSTON_ALPHAS = (0.05, 0.1, 0.15, 0.2, 0.3)
TREND_START_WEEKS = 4


@dataclass(frozen=True, slots=True)
class Fit:
    weekly: tuple[float, ...]
    one_step_errors: tuple[tuple[int, float], ...]  # (week, actual − forecast made the week before)
    parameters: dict[str, float]


def holt_damped(series: Sequence[float], horizon: int, ignored: frozenset[int]) -> Fit:
    """Holt's linear trend with a damped trend (Gardner & McKenzie 1985):
    level ℓ = αy + (1−α)(ℓ + φb), trend b = β(ℓ_new − ℓ) + (1−β)φb,
    forecast at h = ℓ + (φ + φ² + … + φʰ)·b. Starts from the first week and the mean slope of
    the first few weeks."""
    if len(series) < 2:
        level = series[-1] if series else 0.0
        return Fit((max(level, 0.0),) * horizon, (), {"level": level, "trend": 0.0})
    best: tuple[float, tuple[float, float, float], _HoltState] | None = None
    for phi, alpha, beta in itertools.product(PHIS, ALPHAS, BETAS):
        state = _holt_pass(series, alpha, beta, phi, ignored)
        squared = sum(error * error for _, error in state[2])
        if best is None or squared < best[0] - 1e-9:
            best = (squared, (alpha, beta, phi), state)
    assert best is not None
    _, (alpha, beta, phi), (level, trend, errors) = best
    weekly = tuple(
        max(level + sum(phi**step for step in range(1, h + 1)) * trend, 0.0)
        for h in range(1, horizon + 1)
    )
    return Fit(weekly, tuple(errors), {
        "alpha": alpha, "beta": beta, "phi": phi, "level": level, "trend": trend,
    })


_HoltState = tuple[float, float, list[tuple[int, float]]]  # level, trend, one-step errors


def _holt_pass(
    series: Sequence[float], alpha: float, beta: float, phi: float, ignored: frozenset[int]
) -> _HoltState:
    start = min(TREND_START_WEEKS, len(series) - 1)
    level, trend = series[0], (series[start] - series[0]) / start
    errors: list[tuple[int, float]] = []
    for week in range(1, len(series)):
        expected = level + phi * trend
        if week not in ignored:
            errors.append((week, series[week] - expected))
        new_level = alpha * series[week] + (1 - alpha) * expected
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
    return level, trend, errors


def croston_sba(series: Sequence[float], horizon: int, ignored: frozenset[int]) -> Fit:
    """Croston's method with the Syntetos–Boylan Approximation (Syntetos & Boylan 2005, IJF 21):
    smooth the non-zero demand size z and the interval p between demands separately; the weekly
    rate is (1 − α/2)·z/p, the factor removing Croston's upward bias."""
    demand_weeks = [week for week, quantity in enumerate(series) if quantity > 0]
    if not demand_weeks:
        return Fit((0.0,) * horizon, (), {"size": 0.0, "interval": 0.0})
    best: tuple[float, float, float, float, list[tuple[int, float]]] | None = None
    for alpha in CROSTON_ALPHAS:
        size, interval, errors = _croston_pass(series, alpha, demand_weeks[0], ignored)
        squared = sum(error * error for _, error in errors)
        if best is None or squared < best[0] - 1e-9:
            best = (squared, alpha, size, interval, errors)
    assert best is not None
    _, alpha, size, interval, errors = best
    rate = (1 - alpha / 2) * size / interval
    return Fit((rate,) * horizon, tuple(errors), {
        "alpha": alpha, "size": size, "interval": interval,
    })


def _croston_pass(
    series: Sequence[float], alpha: float, first: int, ignored: frozenset[int]
) -> tuple[float, float, list[tuple[int, float]]]:
    size, interval = series[first], float(first + 1)
    since_last = 1
    errors: list[tuple[int, float]] = []
    for week in range(first + 1, len(series)):
        if week not in ignored:
            errors.append((week, series[week] - (1 - alpha / 2) * size / interval))
        if series[week] > 0:
            size += alpha * (series[week] - size)
            interval += alpha * (since_last - interval)
            since_last = 1
        else:
            since_last += 1
    return size, interval, errors


def seasonal_indices(series: Sequence[float]) -> tuple[float, ...] | None:
    """Multiplicative weekly indices (classical decomposition): each week's ratio to the trend —
    a least-squares line through the centred 2×52-week moving average, which seasonality cannot
    tilt — averaged per week of the 52-week cycle (counted from the first week), smoothed over
    neighbouring weeks and scaled to average 1. None when the trend is not positive throughout
    (ratios would mean nothing) or when the indices do not stand out of the week-to-week noise:
    their variance must exceed twice what noise alone leaves in an average of that many weeks."""
    weeks = len(series)
    centred = _centred_moving_average(series)
    slope, intercept = _least_squares_line([week for week, _ in centred], [v for _, v in centred])
    trend = [intercept + slope * week for week in range(weeks)]
    if min(trend) <= 0:
        return None
    ratios = [quantity / expected for quantity, expected in zip(series, trend, strict=True)]
    by_position: list[list[float]] = [[] for _ in range(SEASON_WEEKS)]
    for week, ratio in enumerate(ratios):
        by_position[week % SEASON_WEEKS].append(ratio)
    raw = [statistics.fmean(values) for values in by_position]
    smoothed = [
        (raw[k - 1] + raw[k] + raw[(k + 1) % SEASON_WEEKS]) / 3 for k in range(SEASON_WEEKS)
    ]
    scale = statistics.fmean(smoothed)
    indices = tuple(value / scale for value in smoothed)
    residual = statistics.pvariance(
        [ratio / scale - indices[week % SEASON_WEEKS] for week, ratio in enumerate(ratios)]
    )
    weeks_per_index = 3 * weeks / SEASON_WEEKS
    if statistics.pvariance(indices) <= 2 * residual / weeks_per_index:
        return None
    return indices


def _centred_moving_average(series: Sequence[float]) -> list[tuple[int, float]]:
    """(week, 2×52 centred moving average) for every week with half a season on each side."""
    half = SEASON_WEEKS // 2
    running = [0.0, *itertools.accumulate(series)]
    return [
        (week, (running[week + half] - running[week - half + 1]
                + (series[week - half] + series[week + half]) / 2) / SEASON_WEEKS)
        for week in range(half, len(series) - half)
    ]


def _least_squares_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope, mean_y - slope * mean_x
