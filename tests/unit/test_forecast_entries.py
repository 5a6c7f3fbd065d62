from __future__ import annotations

from decimal import Decimal

from server.planning.forecasts import MAX_ENTRIES, ForecastEntry, entry_problems, too_many

PRODUCTS = {"P1": True, "OLD": False}
WAREHOUSES = {"WH1": True, "SHUT": False}


def entry(quantity: str = "1", sku: str = "P1", warehouse: str = "WH1",
          week: str = "2026-W48") -> ForecastEntry:
    return ForecastEntry(sku=sku, warehouse_code=warehouse, week=week, quantity=Decimal(quantity))


def found(*entries: ForecastEntry) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for p in entry_problems(entries, PRODUCTS, WAREHOUSES)]


def test_good_entries_have_no_problems() -> None:
    assert found(entry("0"), entry("12.3456", week="2026-W49"), entry("99999999999999.9999",
                                                                      week="2026-W50")) == []


def test_inactive_master_data_is_refused_by_field() -> None:
    assert found(entry(sku="OLD"), entry(warehouse="SHUT", week="2026-W49")) == [
        ("INVALID_INPUT", "entries[0].sku"), ("INVALID_INPUT", "entries[1].warehouseCode")]


def test_quantities_must_be_finite_non_negative_with_four_decimals() -> None:
    problems = entry_problems([entry("-0.0001"), entry("1.23456", week="2026-W49"),
                               entry("NaN", week="2026-W50"), entry("Infinity", week="2026-W51"),
                               entry("1E14", week="2026-W52")], PRODUCTS, WAREHOUSES)
    assert [p.field for p in problems] == [f"entries[{i}].quantity" for i in range(5)]
    assert ["negative" in p.message for p in problems] == [True, False, False, False, False]


def test_the_same_week_written_differently_is_a_duplicate() -> None:
    problems = entry_problems([entry(), entry(week=" 2026-W48")], PRODUCTS, WAREHOUSES)
    assert [(p.code, p.field) for p in problems] == [("DUPLICATE", "entries[1].week")]
    assert problems[0].message.startswith("entry 1: repeats entry 0")


def test_call_size_is_limited() -> None:
    assert too_many([entry()] * MAX_ENTRIES) is None
    problem = too_many([entry()] * (MAX_ENTRIES + 1))
    assert problem is not None and problem.field == "entries"
