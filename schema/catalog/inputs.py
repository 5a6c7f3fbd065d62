"""Inputs of the product, supplier and customer mutations; each turns itself into the server's
draft or changes (``null`` = leave unchanged on updates)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

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


@strawberry.input
class BarcodeInput:
    barcode: str
    pack_quantity: Decimal = strawberry.field(
        default=Decimal(1), description="Units one scan counts: 1 for a unit, 12 for a case."
    )

    def to_draft(self) -> BarcodeDraft:
        return BarcodeDraft(self.barcode, self.pack_quantity)


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    category: str = ""
    unit_of_measure: str = "pcs"
    qc_required: bool = False
    make_to_order: bool = strawberry.field(
        default=False, description="A backorder raises a draft purchase order at once.")
    safety_stock: Decimal = Decimal(0)
    list_price: Decimal = Decimal(0)
    barcodes: list[BarcodeInput] = strawberry.field(default_factory=list)
    tags: list[str] = strawberry.field(
        default_factory=list, description="Free labels planning rules can scope and test.")

    def to_draft(self) -> ProductDraft:
        return ProductDraft(
            sku=self.sku, name=self.name, category=self.category,
            unit_of_measure=self.unit_of_measure, qc_required=self.qc_required,
            make_to_order=self.make_to_order, safety_stock=self.safety_stock,
            list_price=self.list_price,
            barcodes=tuple(barcode.to_draft() for barcode in self.barcodes),
            tags=tuple(self.tags),
        )


@strawberry.input
class UpdateProductInput:
    sku: str = strawberry.field(description="Which product; skus never change.")
    name: str | None = None
    category: str | None = None
    unit_of_measure: str | None = None
    qc_required: bool | None = None
    make_to_order: bool | None = None
    safety_stock: Decimal | None = None
    list_price: Decimal | None = None
    active: bool | None = strawberry.field(default=None, description="false deactivates it.")
    add_barcodes: list[BarcodeInput] | None = strawberry.field(
        default=None, description="New barcodes; one the product has already gets the new "
                                  "pack quantity."
    )
    remove_barcodes: list[str] | None = None
    tags: list[str] | None = strawberry.field(default=None,
                                             description="Replaces the product's tags.")

    def to_changes(self) -> ProductChanges:
        return ProductChanges(
            name=self.name, category=self.category, unit_of_measure=self.unit_of_measure,
            qc_required=self.qc_required, make_to_order=self.make_to_order,
            safety_stock=self.safety_stock,
            list_price=self.list_price, active=self.active,
            add_barcodes=tuple(barcode.to_draft() for barcode in self.add_barcodes or ()),
            remove_barcodes=tuple(self.remove_barcodes or ()),
            tags=tuple(self.tags) if self.tags is not None else None,
        )


@strawberry.input
class CreateSupplierInput:
    code: str
    name: str
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    over_receipt_tolerance_pct: Decimal = Decimal(0)

    def to_draft(self) -> SupplierDraft:
        return SupplierDraft(
            code=self.code, name=self.name, contact_name=self.contact_name,
            contact_phone=self.contact_phone, contact_email=self.contact_email,
            over_receipt_tolerance_pct=self.over_receipt_tolerance_pct,
        )


@strawberry.input
class UpdateSupplierInput:
    code: str = strawberry.field(description="Which supplier; codes never change.")
    name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    over_receipt_tolerance_pct: Decimal | None = None
    active: bool | None = strawberry.field(default=None, description="false deactivates it.")

    def to_changes(self) -> SupplierChanges:
        return SupplierChanges(
            name=self.name, contact_name=self.contact_name, contact_phone=self.contact_phone,
            contact_email=self.contact_email,
            over_receipt_tolerance_pct=self.over_receipt_tolerance_pct, active=self.active,
        )


@strawberry.input(description="Creates the supplier's item for the product or changes the "
                              "terms given. A new item needs a price.")
class SetSupplierItemInput:
    supplier_code: str
    sku: str
    price: Decimal | None = None
    currency: str | None = strawberry.field(default=None, description="Defaults to CNY.")
    moq: Decimal | None = None
    pack_multiple: Decimal | None = None
    lead_time_days: int | None = None
    preferred: bool | None = strawberry.field(
        default=None, description="true makes it the product's one preferred item."
    )
    active: bool | None = strawberry.field(default=None, description="false deactivates it.")

    def to_terms(self) -> SupplierItemTerms:
        return SupplierItemTerms(
            supplier_code=self.supplier_code, sku=self.sku, price=self.price,
            currency=self.currency, moq=self.moq, pack_multiple=self.pack_multiple,
            lead_time_days=self.lead_time_days, preferred=self.preferred, active=self.active,
        )


@strawberry.input
class CreateCustomerInput:
    code: str
    name: str
    region: str = ""
    salesperson: str | None = strawberry.field(
        default=None, description="Username of a user with the sales role."
    )

    def to_draft(self) -> CustomerDraft:
        return CustomerDraft(code=self.code, name=self.name, region=self.region,
                             salesperson=self.salesperson)


@strawberry.input
class UpdateCustomerInput:
    code: str = strawberry.field(description="Which customer; codes never change.")
    name: str | None = None
    region: str | None = None
    salesperson: str | None = strawberry.field(
        default=None, description="Username of a user with the sales role."
    )
    unassign_salesperson: bool = False
    active: bool | None = strawberry.field(default=None, description="false deactivates it.")

    def to_changes(self) -> CustomerChanges:
        return CustomerChanges(
            name=self.name, region=self.region, salesperson=self.salesperson,
            unassign_salesperson=self.unassign_salesperson, active=self.active,
        )
