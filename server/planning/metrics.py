"""Per-product metrics that replenishment rules test: plain numbers computed from weekly sales.

The CEL names a rule condition may use (all numbers are doubles, except ``month``):

- ``sales``: weekly sales quantities, oldest → newest;
- ``growth``: week-over-week growth ratios, one per week after the first (``growth[i]`` compares
  ``sales[i + 1]`` with ``sales[i]``; 0.25 means +25 %). A week after a zero week has no defined
  growth; it is given 0.0 ("no measured growth"), so a restart from nothing — a new product, a
  week out of stock — never counts as a growth streak, and the list stays aligned with the weeks;
- ``average`` and ``std_dev``: mean and population standard deviation of ``sales``;
- ``days_of_cover``: available stock ÷ average daily sales (infinite when nothing sells);
- ``category``, ``tags`` (a list of strings), ``sku``, ``warehouse`` and ``month`` (1–12, of the
  planning date).

CEL here has no slices and no negative indexes; count from ``size(list)``, guarding the length
first (``&&`` short-circuits), as the seed rule in ``server.planning.rules`` does.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

DAYS_PER_WEEK = 7.0


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What is known about one product in one warehouse on the planning date."""

    sku: str
    warehouse_code: str
    category: str
    tags: tuple[str, ...]
    weekly_sales: tuple[Decimal | float, ...]
    available: Decimal | float
    month: int
    # ``week_over_week_growth(weekly_sales)`` when the caller already has it (``growth_rows``).
    growth: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class ProductMetrics:
    """The metrics a rule condition sees; ``as_facts`` gives them their CEL names."""

    sku: str
    warehouse_code: str
    category: str
    tags: tuple[str, ...]
    weekly_sales: tuple[float, ...]
    growth: tuple[float, ...]
    average: float
    std_dev: float
    days_of_cover: float
    month: int

    def as_facts(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "warehouse": self.warehouse_code,
            "category": self.category,
            "tags": list(self.tags),
            "sales": list(self.weekly_sales),
            "growth": list(self.growth),
            "average": self.average,
            "std_dev": self.std_dev,
            "days_of_cover": self.days_of_cover,
            "month": self.month,
        }


def week_over_week_growth(sales: Sequence[float]) -> tuple[float, ...]:
    """Growth of each week over the one before; 0.0 after a zero week (see module docstring)."""
    return tuple([
        (current - previous) / previous if previous > 0 else 0.0
        for previous, current in itertools.pairwise(sales)
    ])


def growth_rows(series: NDArray[np.float64]) -> list[list[float]]:
    """``week_over_week_growth`` of every row of ``series`` (rows × weeks) at once, by the same
    float operations, so the same values. The growth of a row's weeks from week k on is its
    growth from index k on."""
    previous, current = series[:, :-1], series[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        growth: list[list[float]] = np.where(
            previous > 0, (current - previous) / previous, 0.0).tolist()
    return growth


def days_of_cover(available: float, average_weekly_sales: float) -> float:
    if average_weekly_sales <= 0:
        return float("inf")
    return max(available, 0.0) / (average_weekly_sales / DAYS_PER_WEEK)


def _mean(sales: Sequence[float]) -> float:
    return math.fsum(sales) / len(sales) if sales else 0.0


def _std_dev(sales: Sequence[float], average: float) -> float:
    # Population standard deviation; statistics.pstdev is exact but ~20× slower, and a planning
    # run computes this for every product.
    if not sales:
        return 0.0
    return math.sqrt(math.fsum((x - average) ** 2 for x in sales) / len(sales))


def product_metrics(facts: ProductFacts) -> ProductMetrics:
    sales = tuple(map(float, facts.weekly_sales))
    average = _mean(sales)
    return ProductMetrics(
        sku=facts.sku,
        warehouse_code=facts.warehouse_code,
        category=facts.category,
        tags=tuple(facts.tags),
        weekly_sales=sales,
        growth=week_over_week_growth(sales),
        average=average,
        std_dev=_std_dev(sales, average),
        days_of_cover=days_of_cover(float(facts.available), average),
        month=facts.month,
    )


_FROM_SALES = frozenset({"sales", "growth", "average", "std_dev", "days_of_cover"})


def named_facts(facts: ProductFacts, names: Collection[str]) -> dict[str, Any]:
    """The facts ``names`` of ``product_metrics(facts).as_facts()``, lists as tuples, computing
    only those: a planning run asks most products for one or two of them."""
    found: dict[str, Any] = {}
    if _FROM_SALES.isdisjoint(names):
        sales: tuple[float, ...] = ()
        average = 0.0
    else:
        sales = tuple(map(float, facts.weekly_sales))
        average = _mean(sales)
    for name in names:
        if name == "sku":
            found[name] = facts.sku
        elif name == "warehouse":
            found[name] = facts.warehouse_code
        elif name == "category":
            found[name] = facts.category
        elif name == "tags":
            found[name] = tuple(facts.tags)
        elif name == "sales":
            found[name] = sales
        elif name == "growth":
            found[name] = (week_over_week_growth(sales) if facts.growth is None
                           else facts.growth)
        elif name == "average":
            found[name] = average
        elif name == "std_dev":
            found[name] = _std_dev(sales, average)
        elif name == "days_of_cover":
            found[name] = days_of_cover(float(facts.available), average)
        elif name == "month":
            found[name] = facts.month
        else:
            raise KeyError(name)
    return found


# Shaped like real metrics (eight weeks, so conditions indexing recent weeks run) for checking a
# condition when a rule is saved.
SAMPLE_METRICS = product_metrics(ProductFacts(
    sku="SAMPLE", warehouse_code="WH", category="sample", tags=("sample",),
    weekly_sales=(10, 12, 11, 13, 12, 14, 13, 15), available=20, month=1,
))
