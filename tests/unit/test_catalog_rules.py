"""Pure master-data validation: every problem of an input at once, named by its field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.catalog import rules
from server.catalog.drafts import (
    BarcodeDraft,
    CustomerChanges,
    CustomerDraft,
    ProductChanges,
    ProductDraft,
    SupplierChanges,
    SupplierDraft,
    SupplierItemTerms,
)
from server.errors import Duplicate, InvalidInput, NotFound, Problem


def fields(problems: list[Problem]) -> list[str | None]:
    return [problem.field for problem in problems]


def test_a_sound_product_has_no_problems() -> None:
    draft = ProductDraft("COLA-330", "Cola", list_price=Decimal("3.5"),
                         barcodes=(BarcodeDraft("6901234567892"),
                                   BarcodeDraft("16901234567899", Decimal(12))))
    assert rules.product_draft_problems(draft) == []


def test_every_product_problem_is_listed() -> None:
    draft = ProductDraft(
        "has space", "", category="x" * 101, unit_of_measure=" ",
        safety_stock=Decimal(-1), list_price=Decimal("-0.01"),
        barcodes=(BarcodeDraft("A B"), BarcodeDraft("C1", Decimal(0)), BarcodeDraft("C1")),
    )
    assert fields(rules.product_draft_problems(draft)) == [
        "sku", "name", "category", "unitOfMeasure", "safetyStock", "listPrice",
        "barcodes[0].barcode", "barcodes[1].packQuantity", "barcodes[2].barcode",
    ]
    assert all(p.code == "INVALID_INPUT" for p in rules.product_draft_problems(draft))


@pytest.mark.parametrize(("value", "reason"), [
    (Decimal("NaN"), "must be a number"),
    (Decimal("Infinity"), "must be a number"),
    (Decimal("0.00001"), "at most 4 decimal places"),
    (Decimal("1e14"), "must be below"),
    (Decimal(-1), "must not be negative"),
])
def test_amounts_must_fit_the_column_and_not_be_negative(value: Decimal, reason: str) -> None:
    problem = rules.not_negative_problem(value, "listPrice")
    assert problem is not None and reason in problem.message
    assert problem.field == "listPrice"


def test_trailing_zeros_and_the_largest_amount_are_fine() -> None:
    assert rules.not_negative_problem(Decimal("1.50000000"), "price") is None
    assert rules.not_negative_problem(Decimal("99999999999999.9999"), "price") is None
    assert rules.not_negative_problem(0, "leadTimeDays") is None
    assert rules.as_amount(Decimal("1.5")) == Decimal("1.5000")
    assert str(rules.as_amount(Decimal(12))) == "12.0000"


def test_positive_rejects_zero() -> None:
    problem = rules.positive_problem(Decimal(0), "moq")
    assert problem is not None and "greater than 0" in problem.message


def test_product_changes_check_only_what_is_given() -> None:
    assert rules.product_changes_problems(ProductChanges()) == []
    changes = ProductChanges(name=" ", list_price=Decimal(-1),
                             add_barcodes=(BarcodeDraft("X", Decimal(-12)),),
                             remove_barcodes=("Y", "X"))
    assert fields(rules.product_changes_problems(changes)) == [
        "name", "listPrice", "addBarcodes[0].packQuantity", "removeBarcodes[1]"
    ]


def test_supplier_problems() -> None:
    assert rules.supplier_draft_problems(SupplierDraft("ACME", "Acme",
                                                       contact_email="li@acme.cn")) == []
    draft = SupplierDraft("", "Acme", contact_phone="1" * 65, contact_email="li@",
                          over_receipt_tolerance_pct=Decimal(-5))
    assert fields(rules.supplier_draft_problems(draft)) == [
        "code", "contactPhone", "contactEmail", "overReceiptTolerancePct"
    ]
    assert fields(rules.supplier_changes_problems(SupplierChanges(contact_email=""))) == []
    assert fields(rules.supplier_changes_problems(SupplierChanges(name=""))) == ["name"]


def test_supplier_item_terms() -> None:
    assert rules.supplier_item_problems(SupplierItemTerms("ACME", "NUT")) == []
    terms = SupplierItemTerms("ACME", "NUT", price=Decimal(-1), currency="cny", moq=Decimal(0),
                              pack_multiple=Decimal(-6), lead_time_days=4000, preferred=True,
                              active=False)
    assert fields(rules.supplier_item_problems(terms)) == [
        "price", "currency", "moq", "packMultiple", "leadTimeDays", "preferred"
    ]


def test_customer_problems() -> None:
    assert rules.customer_draft_problems(CustomerDraft("C-1", "Hua Mart", "east")) == []
    assert fields(rules.customer_draft_problems(CustomerDraft("C 1", "", "r" * 101))) == [
        "code", "name", "region"
    ]
    both = CustomerChanges(salesperson="wang", unassign_salesperson=True)
    assert fields(rules.customer_changes_problems(both)) == ["unassignSalesperson"]


def test_raise_problems_raises_all_with_the_first_problems_class() -> None:
    rules.raise_problems(None, None)
    duplicate = Problem("DUPLICATE", "taken", "sku")
    invalid = Problem("INVALID_INPUT", "bad", "name")
    with pytest.raises(Duplicate) as raised:
        rules.raise_problems(None, duplicate, invalid)
    assert raised.value.problems == [duplicate, invalid]
    with pytest.raises(NotFound):
        rules.raise_problems(Problem("NOT_FOUND", "no such", "sku"))
    with pytest.raises(InvalidInput):
        rules.raise_problems(invalid, duplicate)


def test_a_thirteen_digit_barcode_must_carry_its_ean13_check_digit() -> None:
    draft = ProductDraft(sku="P1", name="Drill", barcodes=(
        BarcodeDraft("6923450657713"), BarcodeDraft("6923450657714", Decimal(6)),
        BarcodeDraft("16923450657711", Decimal(12))))
    problems = rules.product_draft_problems(draft)
    assert [(problem.field, problem.message) for problem in problems] == [
        ("barcodes[1].barcode", "barcode 6923450657714 has a wrong EAN-13 check digit "
                                "(expected 3 at the end)")]
