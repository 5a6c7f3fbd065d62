"""Pure validation of master data, shared by create and update; no database.

Each ``*_problems`` function returns every problem it finds, so a user fixes an input in one go.
Field names are the GraphQL input's (camelCase, ``barcodes[1].packQuantity`` inside lists).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from biip.checksums import gs1_standard_check_digit

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
from server.errors import DomainError, Duplicate, InvalidInput, NotFound, Problem

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
# Printable ASCII without spaces: EAN/UPC, ITF-14, GS1 element strings and in-house codes.
BARCODE_PATTERN = re.compile(r"^[\x21-\x7e]{1,64}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Money and quantities are NUMERIC(18, 4): 14 digits before the point, 4 after.
AMOUNT_PLACES = 4
AMOUNT_LIMIT = Decimal(10) ** 14
AMOUNT_QUANTUM = Decimal(1).scaleb(-AMOUNT_PLACES)
MAX_LEAD_TIME_DAYS = 3650
EAN13_LENGTH = 13
_ERROR_BY_CODE: dict[str, type[DomainError]] = {
    Duplicate.code: Duplicate,
    NotFound.code: NotFound,
}


def _invalid(field: str, message: str) -> Problem:
    return Problem(InvalidInput.code, message, field)


def code_problem(value: str, field: str) -> Problem | None:
    if not CODE_PATTERN.match(value):
        return _invalid(field, f"{field} {value!r} must be 1-64 letters, digits or . _ / - "
                               "(no spaces)")
    return None


def text_problem(
    value: str | None, field: str, max_length: int, *, required: bool = True
) -> Problem | None:
    """``None`` is fine (an update leaving the field alone); a given text must fit the column."""
    if value is None:
        return None
    if required and not value.strip():
        return _invalid(field, f"{field} must not be empty")
    if len(value.strip()) > max_length:
        return _invalid(field, f"{field} may have at most {max_length} characters")
    return None


def name_problem(value: str | None, field: str = "name") -> Problem | None:
    return text_problem(value, field, 200)


def amount_shape_problem(value: Decimal, field: str) -> Problem | None:
    """A number the database column holds exactly: finite, at most 4 places, below 10^14."""
    if not value.is_finite():
        return _invalid(field, f"{field} must be a number (got {value})")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -AMOUNT_PLACES:
        return _invalid(field, f"{field} may have at most {AMOUNT_PLACES} decimal places")
    if abs(value) >= AMOUNT_LIMIT:
        return _invalid(field, f"{field} must be below {AMOUNT_LIMIT:,.0f}")
    return None


def not_negative_problem(value: Decimal | int | None, field: str) -> Problem | None:
    if value is None:
        return None
    if isinstance(value, Decimal) and (shape := amount_shape_problem(value, field)):
        return shape
    if value < 0:
        return _invalid(field, f"{field} must not be negative (got {value})")
    return None


def positive_problem(value: Decimal | int | None, field: str) -> Problem | None:
    if value is None:
        return None
    if isinstance(value, Decimal) and (shape := amount_shape_problem(value, field)):
        return shape
    if value <= 0:
        return _invalid(field, f"{field} must be greater than 0 (got {value})")
    return None


def currency_problem(value: str | None, field: str = "currency") -> Problem | None:
    if value is not None and not CURRENCY_PATTERN.match(value):
        return _invalid(field, f"{field} must be an ISO 4217 code such as CNY")
    return None


def email_problem(value: str | None, field: str) -> Problem | None:
    if value is None or not value.strip():
        return None
    if len(value.strip()) > 200 or not EMAIL_PATTERN.match(value.strip()):
        return _invalid(field, f"{field} {value!r} is not an e-mail address")
    return None


def as_amount(value: Decimal) -> Decimal:
    """The value as the database will hand it back (4 places), so a payload and a later query
    show the same text."""
    return value.quantize(AMOUNT_QUANTUM)


def ean13_check_digit(first_twelve: str) -> str:
    """The GS1 check digit that completes 12 digits to an EAN-13."""
    return str(gs1_standard_check_digit(first_twelve))


def is_ean13(text: str) -> bool:
    """Thirteen digits, as an EAN-13 is written (its check digit not yet verified)."""
    return len(text) == EAN13_LENGTH and text.isascii() and text.isdigit()


def ean13_problem(barcode: str, field: str) -> Problem | None:
    """A 13-digit code is taken for an EAN-13, whose last digit must check the others: a
    misread or mistyped digit is caught here rather than at the first scan."""
    if is_ean13(barcode) and ean13_check_digit(barcode[:-1]) != barcode[-1]:
        return _invalid(field, f"barcode {barcode} has a wrong EAN-13 check digit (expected "
                               f"{ean13_check_digit(barcode[:-1])} at the end)")
    return None


def barcode_problems(barcodes: Sequence[BarcodeDraft], field: str) -> list[Problem]:
    problems: list[Problem | None] = []
    seen: set[str] = set()
    for index, draft in enumerate(barcodes):
        where = f"{field}[{index}]"
        if not BARCODE_PATTERN.match(draft.barcode):
            problems.append(_invalid(f"{where}.barcode", f"barcode {draft.barcode!r} must be 1-64 "
                                                         "printable characters without spaces"))
        elif (wrong_check := ean13_problem(draft.barcode, f"{where}.barcode")) is not None:
            problems.append(wrong_check)
        elif draft.barcode in seen:
            problems.append(_invalid(f"{where}.barcode", f"barcode {draft.barcode!r} is listed "
                                                         "twice"))
        seen.add(draft.barcode)
        problems.append(positive_problem(draft.pack_quantity, f"{where}.packQuantity"))
    return _found(problems)


def product_draft_problems(draft: ProductDraft) -> list[Problem]:
    return _found([
        code_problem(draft.sku, "sku"),
        name_problem(draft.name),
        text_problem(draft.category, "category", 100, required=False),
        text_problem(draft.unit_of_measure, "unitOfMeasure", 16),
        not_negative_problem(draft.safety_stock, "safetyStock"),
        not_negative_problem(draft.list_price, "listPrice"),
        *barcode_problems(draft.barcodes, "barcodes"),
        *tag_problems(draft.tags),
    ])


def product_changes_problems(changes: ProductChanges) -> list[Problem]:
    added = {draft.barcode for draft in changes.add_barcodes}
    both = [
        _invalid(f"removeBarcodes[{index}]", f"barcode {code!r} is both added and removed")
        for index, code in enumerate(changes.remove_barcodes) if code in added
    ]
    return _found([
        name_problem(changes.name),
        text_problem(changes.category, "category", 100, required=False),
        text_problem(changes.unit_of_measure, "unitOfMeasure", 16),
        not_negative_problem(changes.safety_stock, "safetyStock"),
        not_negative_problem(changes.list_price, "listPrice"),
        *barcode_problems(changes.add_barcodes, "addBarcodes"),
        *tag_problems(changes.tags or ()),
        *both,
    ])


MAX_TAGS, MAX_TAG_LENGTH = 20, 50


def tag_problems(tags: Sequence[str]) -> list[Problem]:
    problems = [_invalid(f"tags[{index}]", f"a tag has 1 to {MAX_TAG_LENGTH} characters")
                for index, tag in enumerate(tags)
                if not tag.strip() or len(tag.strip()) > MAX_TAG_LENGTH]
    if len(set(tags)) > MAX_TAGS:
        problems.append(_invalid("tags", f"at most {MAX_TAGS} tags"))
    return problems


def normal_tags(tags: Sequence[str]) -> list[str]:
    """Tags as stored: trimmed, each once, sorted."""
    return sorted({tag.strip() for tag in tags})


def _contact_problems(name: str | None, phone: str | None, email: str | None) -> list[Problem]:
    return _found([
        text_problem(name, "contactName", 200, required=False),
        text_problem(phone, "contactPhone", 64, required=False),
        email_problem(email, "contactEmail"),
    ])


def supplier_draft_problems(draft: SupplierDraft) -> list[Problem]:
    return _found([
        code_problem(draft.code, "code"),
        name_problem(draft.name),
        *_contact_problems(draft.contact_name, draft.contact_phone, draft.contact_email),
        not_negative_problem(draft.over_receipt_tolerance_pct, "overReceiptTolerancePct"),
    ])


def supplier_changes_problems(changes: SupplierChanges) -> list[Problem]:
    return _found([
        name_problem(changes.name),
        *_contact_problems(changes.contact_name, changes.contact_phone, changes.contact_email),
        not_negative_problem(changes.over_receipt_tolerance_pct, "overReceiptTolerancePct"),
    ])


def supplier_item_problems(terms: SupplierItemTerms) -> list[Problem]:
    lead_time = terms.lead_time_days
    too_long = lead_time is not None and lead_time > MAX_LEAD_TIME_DAYS
    return _found([
        not_negative_problem(terms.price, "price"),
        currency_problem(terms.currency),
        positive_problem(terms.moq, "moq"),
        positive_problem(terms.pack_multiple, "packMultiple"),
        not_negative_problem(lead_time, "leadTimeDays"),
        _invalid("leadTimeDays", f"leadTimeDays may be at most {MAX_LEAD_TIME_DAYS}")
        if too_long else None,
        _invalid("preferred", "an inactive supplier item cannot be the preferred one")
        if terms.preferred and terms.active is False else None,
    ])


def customer_draft_problems(draft: CustomerDraft) -> list[Problem]:
    return _found([
        code_problem(draft.code, "code"),
        name_problem(draft.name),
        text_problem(draft.region, "region", 100, required=False),
    ])


def customer_changes_problems(changes: CustomerChanges) -> list[Problem]:
    return _found([
        name_problem(changes.name),
        text_problem(changes.region, "region", 100, required=False),
        _invalid("unassignSalesperson", "give a salesperson or unassign, not both")
        if changes.unassign_salesperson and changes.salesperson is not None else None,
    ])


def _found(candidates: Sequence[Problem | None]) -> list[Problem]:
    return [problem for problem in candidates if problem is not None]


def raise_problems(*candidates: Problem | None) -> None:
    """Raise every problem found at once, so the user fixes the input in one go; the error's
    class follows the first problem (each problem keeps its own code)."""
    problems = _found(candidates)
    if problems:
        raise _ERROR_BY_CODE.get(problems[0].code, InvalidInput).of(problems)
