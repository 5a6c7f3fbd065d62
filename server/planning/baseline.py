"""The statistical baseline of a planning run: ``server.planning.forecast``'s method — demand
classified by Syntetos–Boylan, Croston/SBA for intermittent demand, Holt's damped trend
otherwise, safety stock from the one-step forecast error and the lead time — for many products at
once. Series of equal length are fitted together (``server.planning.smoothing_batch``); a series
long enough for 52-week seasonality (two years) goes through the one-product path, which tests
and removes seasonality.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from server.planning.forecast import (
    CV_SQUARED_CUTOFF,
    INTERVAL_CUTOFF,
    SEASONAL_HISTORY_WEEKS,
    LeadTime,
    Pattern,
    service_level_z,
    statistical_forecast,
)
from server.planning.smoothing_batch import BatchFit, Matrix, croston_sba_batch, holt_damped_batch

# Rows fitted together: small enough that the grid × rows working arrays stay in the CPU cache.
_CHUNK_ROWS = 512


@dataclass(frozen=True, slots=True)
class Baseline:
    """One product's baseline: weekly forecast from next week on, and the safety stock."""

    weekly: tuple[float, ...]
    method: str
    pattern: str
    history_weeks: int
    demand_error: float  # σ_d, units/week
    safety_stock: float

    def note(self) -> str:
        first = self.weekly[0] if self.weekly else 0.0
        return (f"baseline {self.method} ({self.pattern} demand, {self.history_weeks} weeks of "
                f"history): {first:.2f}/week; forecast error σ_d {self.demand_error:.2f}/week")


def baselines(
    histories: Sequence[Sequence[float]], horizon: int, lead_times: Sequence[LeadTime],
    service_level: float,
) -> list[Baseline]:
    """A baseline per history (weekly sales, oldest → newest), ``horizon`` weeks long, with
    safety stock for that product's lead time at ``service_level``."""
    z = service_level_z(service_level)
    cover = max([horizon, 1, *(math.ceil(lt.protection_weeks) for lt in lead_times)])
    results: list[Baseline | None] = [None] * len(histories)
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, history in enumerate(histories):
        if len(history) >= SEASONAL_HISTORY_WEEKS or len(history) < 2:
            results[index] = _one(history, horizon, lead_times[index], service_level)
        else:
            by_length[len(history)].append(index)
    chunks = [indexes[start:start + _CHUNK_ROWS] for indexes in by_length.values()
              for start in range(0, len(indexes), _CHUNK_ROWS)]

    def fit(chunk: list[int]) -> list[Baseline]:
        series = np.array([histories[i] for i in chunk], dtype=np.float64)
        return _fit_group(series, cover, horizon, z, [lead_times[i] for i in chunk])

    # numpy releases the GIL inside its loops, so threads fit chunks on every core.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for chunk, fitted in zip(chunks, pool.map(fit, chunks), strict=True):
            for row, baseline in zip(chunk, fitted, strict=True):
                results[row] = baseline
    return [baseline for baseline in results if baseline is not None]


def _one(history: Sequence[float], horizon: int, lead_time: LeadTime,
         service_level: float) -> Baseline:
    fit = statistical_forecast(history, horizon, lead_time, service_level=service_level)
    return Baseline(fit.weekly, fit.method, fit.pattern.kind.value, len(history),
                    fit.demand_error, fit.safety_stock.quantity)


def _fit_group(
    series: Matrix, cover: int, horizon: int, z: float, lead_times: Sequence[LeadTime]
) -> list[Baseline]:
    rows, weeks = series.shape
    demand = series > 0
    demand_weeks = demand.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        interval = weeks / demand_weeks
        mean = series.sum(axis=1) / demand_weeks
        variance = np.where(demand, (series - mean[:, None]) ** 2, 0.0).sum(axis=1) / demand_weeks
        cv_squared = variance / mean**2
    no_demand = demand_weeks == 0
    intermittent = ~no_demand & (interval >= INTERVAL_CUTOFF)
    smooth = ~no_demand & ~intermittent
    weekly = np.zeros((rows, cover))
    error = np.zeros(rows)
    methods = np.full(rows, "none", dtype=object)
    for mask, fit_many, method in ((smooth, holt_damped_batch, "holt_damped"),
                                   (intermittent, croston_sba_batch, "croston_sba")):
        if mask.any():
            fit: BatchFit = fit_many(series[mask], cover)
            weekly[mask] = fit.weekly
            error[mask] = np.sqrt(fit.squared_error / np.maximum(fit.errors, 1))
            without_errors = fit.errors == 0
            error[np.flatnonzero(mask)[without_errors]] = series[mask][without_errors].std(axis=1)
            methods[mask] = method
    patterns = _patterns(no_demand, intermittent, cv_squared)
    protection = np.array([lt.protection_weeks for lt in lead_times])
    lead_spread = np.array([lt.std_weeks for lt in lead_times])
    covered = np.maximum(np.ceil(protection), 1).astype(np.int64)
    running = np.cumsum(weekly, axis=1)
    mean_demand = running[np.arange(rows), covered - 1] / covered
    safety = z * np.sqrt(protection * error**2 + mean_demand**2 * lead_spread**2)
    return [
        Baseline(tuple(weekly[row, :horizon].tolist()), methods[row], patterns[row], weeks,
                 float(error[row]), float(safety[row]))
        for row in range(rows)
    ]


def _patterns(no_demand: np.ndarray, intermittent: np.ndarray, cv_squared: np.ndarray) -> list[str]:
    erratic = cv_squared >= CV_SQUARED_CUTOFF
    return [
        Pattern.NO_DEMAND.value if none else (
            (Pattern.LUMPY if spread else Pattern.INTERMITTENT) if sparse
            else (Pattern.ERRATIC if spread else Pattern.SMOOTH)
        ).value
        for none, sparse, spread in zip(no_demand.tolist(), intermittent.tolist(),
                                        erratic.tolist(), strict=True)
    ]
