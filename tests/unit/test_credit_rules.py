"""How much of a return is set against the supplier's invoices."""

from __future__ import annotations

from decimal import Decimal

from server.finance.credit_rules import credit_to_apply

D = Decimal


def test_billed_goods_sent_back_are_credited_against_the_invoice() -> None:
    # 10 billed and accepted; 2 go back: we keep 8, so 2 of the billing is credited
    assert credit_to_apply(D(2), billed=D(10), kept=D(8), already_applied=D(0)) == D(2)


def test_goods_never_billed_give_no_applied_credit() -> None:
    # 6 accepted and billed; the 4 rejected go back: the invoice never claimed them
    assert credit_to_apply(D(4), billed=D(6), kept=D(6), already_applied=D(0)) == D(0)


def test_earlier_credits_are_not_applied_twice() -> None:
    assert credit_to_apply(D(3), billed=D(10), kept=D(5), already_applied=D(3)) == D(2)


def test_nothing_billed_yet_means_all_open_credit() -> None:
    assert credit_to_apply(D(3), billed=D(0), kept=D(4), already_applied=D(0)) == D(0)
