from __future__ import annotations

import math
import random

import pytest

from server.planning.forecast import (
    LeadTime,
    Pattern,
    classify,
    safety_stock,
    service_level_z,
    statistical_forecast,
    without_promotions,
)

LEAD = LeadTime(weeks=2)


def seasonal(weeks: int, noise: float = 0.0, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    return [
        100 * (1 + 0.4 * math.sin(2 * math.pi * week / 52)) + rng.gauss(0, noise)
        for week in range(weeks)
    ]


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        ([100, 110, 95, 105, 100, 98, 102, 107], Pattern.SMOOTH),
        ([10, 200, 5, 150, 20, 300, 8, 90], Pattern.ERRATIC),
        ([0, 0, 10, 0, 0, 12, 0, 0, 11, 0, 0, 10], Pattern.INTERMITTENT),
        ([0, 0, 1, 0, 0, 40, 0, 0, 3, 0, 0, 90], Pattern.LUMPY),
        ([0, 0, 0], Pattern.NO_DEMAND),
    ],
)
def test_syntetos_boylan_classification(series: list[float], kind: Pattern) -> None:
    assert classify(series).kind is kind


def test_intervals_and_cv_squared() -> None:
    pattern = classify([0, 0, 10, 0, 0, 20])
    assert pattern.average_interval == pytest.approx(3.0)
    assert pattern.cv_squared == pytest.approx((5 / 15) ** 2)


def test_linear_trend_is_forecast_within_tolerance() -> None:
    history = [100 + 5 * week for week in range(30)]
    result = statistical_forecast(history, 4, LEAD)
    assert result.method == "holt_damped"
    expected = [100 + 5 * week for week in range(30, 34)]
    for forecast, truth in zip(result.weekly, expected, strict=True):
        assert forecast == pytest.approx(truth, rel=0.01)
    assert result.weekly[3] > result.weekly[0]
    assert result.demand_error < 1.0  # only what damping costs on a perfect line


def test_noisy_trend_keeps_its_slope() -> None:
    rng = random.Random(3)
    history = [200 + 4 * week + rng.gauss(0, 10) for week in range(60)]
    result = statistical_forecast(history, 4, LEAD)
    assert result.weekly[0] == pytest.approx(200 + 4 * 60, rel=0.06)
    assert 0 < result.parameters["trend"] < 8


def test_intermittent_series_forecasts_size_over_interval() -> None:
    history = [12.0 if week % 4 == 3 else 0.0 for week in range(52)]
    result = statistical_forecast(history, 3, LEAD)
    assert result.pattern.kind is Pattern.INTERMITTENT
    assert result.method == "croston_sba"
    alpha = result.parameters["alpha"]
    assert result.weekly == pytest.approx((12 / 4 * (1 - alpha / 2),) * 3, rel=0.02)
    assert result.weekly[0] == pytest.approx(3.0, rel=0.1)


def test_promotions_are_not_mistaken_for_trend() -> None:
    history = [100.0, 102, 98, 101, 99, 100, 103, 97, 100, 101, 99, 100, 250, 260, 100, 101]
    unflagged = statistical_forecast(history, 4, LEAD)
    flagged = statistical_forecast(history, 4, LEAD, promotional_weeks={12, 13})
    assert all(value == pytest.approx(100, abs=4) for value in flagged.weekly)
    assert flagged.weekly[0] < unflagged.weekly[0]
    assert flagged.demand_error < unflagged.demand_error
    assert "promotional" in flagged.explanation[0]


def test_promotional_weeks_take_the_median_of_their_neighbours() -> None:
    cleaned = without_promotions([10, 12, 11, 90, 13, 9, 14], {3})
    assert cleaned[3] == pytest.approx(11.5)
    assert cleaned[:3] == [10, 12, 11]


def test_seasonality_only_with_two_full_years() -> None:
    short = statistical_forecast(seasonal(103), 8, LEAD)
    long = statistical_forecast(seasonal(104), 8, LEAD)
    assert short.method == "holt_damped"
    assert long.method == "holt_damped_seasonal"
    expected = seasonal(112)[104:]
    for forecast, truth in zip(long.weekly, expected, strict=True):
        assert forecast == pytest.approx(truth, rel=0.05)


def test_seasonality_needs_a_seasonal_signal() -> None:
    rng = random.Random(11)
    flat = [100 + rng.gauss(0, 10) for _ in range(156)]
    assert statistical_forecast(flat, 4, LEAD).method == "holt_damped"


def test_noisy_seasonal_series_is_still_seen_as_seasonal() -> None:
    result = statistical_forecast(seasonal(156, noise=8.0), 4, LEAD)
    assert result.method == "holt_damped_seasonal"


def test_safety_stock_formula_on_a_hand_computed_case() -> None:
    # z(95 %) = 1.6449; √(4 · 10² + 50² · 1²) = √2900 = 53.852 → 88.58
    stock = safety_stock(10.0, 50.0, LeadTime(weeks=4, std_weeks=1), 0.95)
    assert stock.z == pytest.approx(1.6449, abs=1e-4)
    assert stock.quantity == pytest.approx(1.6448536 * math.sqrt(2900), rel=1e-6)
    assert stock.quantity == pytest.approx(88.58, abs=0.01)


def test_review_period_widens_the_demand_term_only() -> None:
    stock = safety_stock(10.0, 50.0, LeadTime(weeks=3, std_weeks=1, review_weeks=1), 0.95)
    assert stock.quantity == pytest.approx(1.6448536 * math.sqrt(2900), rel=1e-6)


def test_service_level_outside_range_is_refused() -> None:
    with pytest.raises(ValueError, match="service level"):
        service_level_z(1.0)


def test_forecast_safety_stock_uses_measured_error() -> None:
    rng = random.Random(5)
    history = [100 + rng.gauss(0, 15) for _ in range(52)]
    result = statistical_forecast(history, 4, LeadTime(weeks=4), service_level=0.9)
    expected = service_level_z(0.9) * math.sqrt(4) * result.demand_error
    assert result.safety_stock.quantity == pytest.approx(expected)
    assert 8 < result.demand_error < 25
    assert any("safety stock" in line for line in result.explanation)


def test_no_demand_forecasts_zero() -> None:
    result = statistical_forecast([0, 0, 0, 0], 2, LEAD)
    assert (result.method, result.weekly, result.safety_stock.quantity) == ("none", (0.0, 0.0), 0)
