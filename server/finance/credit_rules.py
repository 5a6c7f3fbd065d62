"""How much of a returned quantity reduces what the supplier's invoices claim, as a plain
function over numbers."""

from __future__ import annotations

from decimal import Decimal

ZERO = Decimal(0)


def credit_to_apply(
    returned: Decimal, billed: Decimal, kept: Decimal, already_applied: Decimal
) -> Decimal:
    """Of ``returned`` units of a PO line, how many to set against its invoices: we owe for at
    most the goods we ``kept`` (accepted, after this return), so what invoices ``billed`` beyond
    that is credited, less what earlier debit notes already set against them. Goods never billed
    (QC-rejected ones, usually) give open credit instead."""
    return min(max(billed - kept - already_applied, ZERO), returned)
