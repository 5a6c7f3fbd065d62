"""Shortages covered by transfers from warehouses with surplus, pinned on hand-computed cases."""

from __future__ import annotations

from decimal import Decimal

from server.planning.transfer_cover import WarehousePosition, cover_shortages

D = Decimal


def position(code: str, available: int, net: int, safety: int = 10, forecast: int = 20,
             backordered: int = 0) -> WarehousePosition:
    return WarehousePosition(code, D(available), D(safety), D(forecast), D(backordered), D(net))


def test_surplus_is_the_shelf_stock_beyond_safety_forecast_and_backorders() -> None:
    assert position("WH1", 100, -70, backordered=5).surplus == D(65)
    assert position("WH1", 20, 10).surplus == D(0)
    assert position("WH1", 20, 10).shortage == D(10)
    assert position("WH1", 100, -70).shortage == D(0)


def test_a_shortage_is_covered_by_the_surplus_before_any_purchase() -> None:
    # WH1: 100 on the shelf, needs 30 → 70 to spare; WH2 is short 25.
    cover = cover_shortages([position("WH1", 100, -70), position("WH2", 5, 25)])
    assert [(t.from_warehouse_code, t.to_warehouse_code, t.quantity)
            for t in cover.transfers] == [("WH1", "WH2", D(25))]
    assert cover.left_short(position("WH2", 5, 25)) == D(0)
    assert "surplus 70" in cover.transfers[0].note and "WH2 is short 25" in cover.transfers[0].note


def test_what_the_surplus_cannot_cover_is_left_to_a_purchase() -> None:
    cover = cover_shortages([position("WH1", 40, -10), position("WH2", 0, 25)])
    assert [t.quantity for t in cover.transfers] == [D(10)]
    assert cover.left_short(position("WH2", 0, 25)) == D(15)


def test_largest_shortage_first_from_the_largest_surplus_then_the_next() -> None:
    cover = cover_shortages([
        position("WH3", 5, 8), position("WH1", 50, -20), position("WH2", 0, 30),
        position("WH4", 42, -12),
    ])
    # surpluses: WH1 20, WH4 12; shortages: WH2 30 first, then WH3 8
    assert [(t.from_warehouse_code, t.to_warehouse_code, t.quantity)
            for t in cover.transfers] == [("WH1", "WH2", D(20)), ("WH4", "WH2", D(10)),
                                          ("WH4", "WH3", D(2))]
    assert cover.covered == {"WH2": D(30), "WH3": D(2)}


def test_in_transit_and_on_order_stock_is_no_surplus() -> None:
    # net −50 comes from stock on order; on the shelf there is nothing beyond its own needs
    cover = cover_shortages([position("WH1", 30, -50), position("WH2", 0, 10)])
    assert cover.transfers == ()
    assert cover.left_short(position("WH2", 0, 10)) == D(10)
