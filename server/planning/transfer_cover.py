"""Covering a shortage by a transfer before buying (pure, no database): when the planning policy
prefers transfers, a warehouse short of a product is first offered the surplus of the product's
other warehouses, and only what they cannot give is left to a purchase suggestion.

Surplus. What a warehouse can spare now is the stock on its shelves beyond its own needs over its
own coverage horizon: ``surplus = max(available − (safety_stock + forecast_in_horizon +
backordered), 0)``. Stock in transit, on order or waiting for QC is not counted: it cannot be
sent today, and it is what the warehouse's own needs will draw on first.

Shortage. The warehouse's net requirement before rounding to a supplier's terms: ``max(net, 0)``.

Allocation. Shortages are served largest first (then by warehouse code), each from the donors
with the largest surplus left (then by code), a donor's surplus drawn down as it gives; so the
result does not depend on the order the warehouses come in, and a shortage takes from as few
donors as it can."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from server.inventory.moves import plain

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class WarehousePosition:
    """One product in one warehouse, as its netting saw it."""

    warehouse_code: str
    available: Decimal
    safety_stock: Decimal
    forecast_in_horizon: Decimal
    backordered: Decimal
    net: Decimal

    @property
    def needs(self) -> Decimal:
        return self.safety_stock + self.forecast_in_horizon + self.backordered

    @property
    def surplus(self) -> Decimal:
        return max(self.available - self.needs, ZERO)

    @property
    def shortage(self) -> Decimal:
        return max(self.net, ZERO)


@dataclass(frozen=True, slots=True)
class SuggestedTransfer:
    from_warehouse_code: str
    to_warehouse_code: str
    quantity: Decimal
    note: str


@dataclass(frozen=True, slots=True)
class Cover:
    transfers: tuple[SuggestedTransfer, ...]
    # Per short warehouse, what the transfers bring it (absent: nothing).
    covered: dict[str, Decimal]

    def left_short(self, position: WarehousePosition) -> Decimal:
        return position.shortage - self.covered.get(position.warehouse_code, ZERO)


def cover_shortages(positions: Sequence[WarehousePosition]) -> Cover:
    """The transfers that cover what they can of one product's shortages (see the module)."""
    left = {p.warehouse_code: p.surplus for p in positions if p.surplus > 0}
    short = sorted((p for p in positions if p.shortage > 0),
                   key=lambda p: (-p.shortage, p.warehouse_code))
    by_code = {p.warehouse_code: p for p in positions}
    transfers: list[SuggestedTransfer] = []
    covered: dict[str, Decimal] = {}
    for position in short:
        wanted = position.shortage
        for code in sorted(left, key=lambda c: (-left[c], c)):
            if wanted <= 0:
                break
            part = min(wanted, left[code])
            if part <= 0 or code == position.warehouse_code:
                continue
            donor = by_code[code]
            transfers.append(SuggestedTransfer(code, position.warehouse_code, part, (
                f"{code} has {plain(donor.available)} available against needs of "
                f"{plain(donor.needs)} (safety stock {plain(donor.safety_stock)} + forecast "
                f"{plain(donor.forecast_in_horizon)} + backordered {plain(donor.backordered)}): "
                f"surplus {plain(donor.surplus)}; {position.warehouse_code} is short "
                f"{plain(position.shortage)}")))
            left[code] -= part
            wanted -= part
            covered[position.warehouse_code] = covered.get(position.warehouse_code, ZERO) + part
    return Cover(tuple(transfers), covered)
