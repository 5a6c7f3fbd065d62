"""Payment allocation rules: amounts in cents, each invoice once, only the paying customer's
invoices, never beyond what is open or what was paid; the invoice state follows the paid amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from server.errors import Problem
from server.finance.models import CustomerInvoiceState
from server.finance.receivables import (
    AllocationDraft,
    OpenInvoice,
    PaymentDraft,
    allocation_problems,
    draft_problems,
    state_after_payment,
    vat_of,
)

D = Decimal
INVOICES = {"INV-1": OpenInvoice("INV-1", 1, D("100.00")),
            "INV-2": OpenInvoice("INV-2", 1, D("50.00")),
            "INV-9": OpenInvoice("INV-9", 2, D("10.00"))}


def found(problems: list[Problem | None]) -> list[tuple[str, str | None]]:
    return [(p.code, p.field) for p in problems if p is not None]


def allocations(*pairs: tuple[str, str]) -> list[AllocationDraft]:
    return [AllocationDraft(number, D(amount)) for number, amount in pairs]


def test_allocations_within_open_amounts_and_the_payment_pass() -> None:
    assert found(allocation_problems(1, "C1", D(150), allocations(
        ("INV-1", "100"), ("INV-2", "50")), INVOICES)) == []
    assert found(allocation_problems(1, "C1", D(500), allocations(("INV-2", "0.01")),
                                     INVOICES)) == []


def test_every_wrong_allocation_is_named_by_its_field() -> None:
    assert found(allocation_problems(1, "C1", D(1000), allocations(
        ("INV-1", "100.01"), ("INV-9", "5"), ("INV-404", "1")), INVOICES)) == [
        ("OVER_ALLOCATED", "allocations[0].amount"),
        ("INVALID_INPUT", "allocations[1].invoiceNumber"),
        ("NOT_FOUND", "allocations[2].invoiceNumber")]


def test_allocations_beyond_the_payment_are_refused() -> None:
    assert found(allocation_problems(1, "C1", D("149.99"), allocations(
        ("INV-1", "100"), ("INV-2", "50")), INVOICES)) == [("OVER_ALLOCATED", "allocations")]


def test_the_draft_needs_positive_cents_and_each_invoice_once() -> None:
    draft = PaymentDraft(" ", D("10.001"), date(2026, 1, 1), "x" * 201,
                         allocations(("INV-1", "0"), ("INV-1", "5")))
    assert found(draft_problems(draft)) == [
        ("INVALID_INPUT", "amount"), ("INVALID_INPUT", "customerCode"),
        ("INVALID_INPUT", "reference"), ("INVALID_INPUT", "allocations[0].amount"),
        ("INVALID_INPUT", "allocations[1].invoiceNumber")]
    assert found(draft_problems(PaymentDraft("C1", D("NaN"), date(2026, 1, 1)))) == [
        ("INVALID_INPUT", "amount")]


def test_the_state_follows_the_paid_amount() -> None:
    assert state_after_payment(D(100), D(0)) is CustomerInvoiceState.OPEN
    assert state_after_payment(D(100), D("99.99")) is CustomerInvoiceState.PARTIALLY_PAID
    assert state_after_payment(D(100), D(100)) is CustomerInvoiceState.PAID


def test_vat_is_13_percent_rounded_half_up_to_cents() -> None:
    assert vat_of(D("617.25")) == D("80.24")
    assert vat_of(D("0.50")) == D("0.07")  # 0.065 rounds up
