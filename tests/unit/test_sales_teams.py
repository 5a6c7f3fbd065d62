"""Sales teams' pure rules: what a team and its member list must be, and adding salespeople's
performance up per team."""

from __future__ import annotations

from decimal import Decimal

from server.finance.sales_performance import PerformanceRow, by_team
from server.sales.teams import MAX_MEMBERS, member_problems, team_problems

D = Decimal


def row(key: str, orders: int, revenue: str, cogs: str, collections: str) -> PerformanceRow:
    margin = D(revenue) - D(cogs)
    return PerformanceRow(key, key, orders, D(revenue), D(cogs), margin, None, D(collections))


def test_a_team_needs_a_code_without_spaces_and_a_name() -> None:
    assert team_problems("EAST", "华东") == []
    assert [p.field for p in team_problems("east team", "")] == ["code", "name"]


def test_members_listed_twice_or_too_many_are_refused() -> None:
    assert member_problems(["a", "b"]) == []
    assert [p.field for p in member_problems(["a", "b", "a"])] == ["usernames.2"]
    assert [p.field for p in member_problems([f"u{i}" for i in range(MAX_MEMBERS + 1)])] == \
        ["usernames"]


def test_salespeople_add_up_per_team_and_the_margin_percent_is_over_the_sums() -> None:
    rows = [row("", 1, "0.00", "0.00", "0.00"), row("ann", 2, "300.00", "200.00", "50.00"),
            row("bob", 1, "100.00", "20.00", "0.00"), row("cy", 4, "50.00", "25.00", "9.00")]
    teams = by_team(rows, {"ann": ("EAST", "East"), "bob": ("EAST", "East")})
    assert teams == [
        PerformanceRow("", "(none)", 5, D("50.00"), D("25.00"), D("25.00"), D("50.00"),
                       D("9.00")),
        PerformanceRow("EAST", "East", 3, D("400.00"), D("220.00"), D("180.00"), D("45.00"),
                       D("50.00"))]


def test_no_rows_make_no_teams() -> None:
    assert by_team([], {"ann": ("EAST", "East")}) == []
