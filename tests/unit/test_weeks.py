from __future__ import annotations

from datetime import date

import pytest

from server.weeks import monday_of, week_label, week_start, weeks_between


@pytest.mark.parametrize(("text", "monday"), [
    ("2026-W48", date(2026, 11, 23)),
    ("2026-W01", date(2025, 12, 29)),  # week 1 holds the year's first Thursday
    ("2020-W53", date(2020, 12, 28)),  # 2020 is a long ISO year
    (" 2027-W10 ", date(2027, 3, 8)),
])
def test_week_start_is_the_monday(text: str, monday: date) -> None:
    assert week_start(text) == monday
    assert monday.weekday() == 0


@pytest.mark.parametrize("text", [
    "2026-48", "2026-W4", "2026W48", "2026-W00", "2026-W54", "2025-W53", "26-W48", "", "2026-w48",
])
def test_malformed_or_impossible_weeks_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        week_start(text)


@pytest.mark.parametrize(("day", "label"), [
    (date(2026, 11, 23), "2026-W48"),
    (date(2026, 11, 29), "2026-W48"),
    (date(2027, 1, 1), "2026-W53"),
    (date(2024, 12, 30), "2025-W01"),
])
def test_week_label_uses_the_iso_year(day: date, label: str) -> None:
    assert week_label(day) == label


def test_label_and_start_round_trip_over_several_years() -> None:
    for monday in weeks_between(date(2019, 12, 30), date(2028, 1, 3)):
        assert week_start(week_label(monday)) == monday


def test_monday_of_any_day_of_the_week() -> None:
    assert {monday_of(date(2026, 11, d)) for d in range(23, 30)} == {date(2026, 11, 23)}


def test_weeks_between_includes_both_ends_and_crosses_the_year() -> None:
    weeks = list(weeks_between(date(2026, 12, 24), date(2027, 1, 6)))
    assert [week_label(w) for w in weeks] == ["2026-W52", "2026-W53", "2027-W01"]
    assert list(weeks_between(date(2026, 12, 1), date(2026, 11, 1))) == []
