"""The margin report's groups from its parts (one query per share of the orders or products on
PostgreSQL) add up to what one query over everything gives."""

from __future__ import annotations

from decimal import Decimal

from server.finance.margin import add_up_parts

D = Decimal


def test_one_part_is_taken_as_it_is() -> None:
    assert add_up_parts([[(7, "Seven", D("1.5"), D(1), None, 2)]]) == [
        ("7", "Seven", D("1.5"), D(1), None, 2)]


def test_a_group_in_several_parts_adds_up_exactly() -> None:
    first = [("drinks", "drinks", D("10.005"), D("4.0001"), None, 1),
             ("snacks", "snacks", D(3), D(1), D(1), 0)]
    second = [("drinks", "drinks", D("0.005"), D("0.0002"), D("2.5"), 0),
              ("soap", "soap", D(1), D(0), None, 3)]
    groups = {(k, lbl): sums for k, lbl, *sums in add_up_parts([first, second])}
    assert groups == {
        ("drinks", "drinks"): [D("10.010"), D("4.0003"), D("2.5"), D(1)],
        ("snacks", "snacks"): [D(3), D(1), D(1), 0],
        ("soap", "soap"): [D(1), D(0), None, 3],
    }
