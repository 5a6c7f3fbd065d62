"""Print templates (HTML + CSS, Jinja2 sandboxed) kept as data and versioned, and the record of
which documents were produced from which template version."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, IdMixin, IdType, utcnow


class DocumentKind(StrEnum):
    PURCHASE_ORDER = "purchase_order"
    ASN_LABEL = "asn_label"
    RECEIPT = "receipt"  # receipt with its QC results
    PICK_LIST = "pick_list"
    DELIVERY_NOTE = "delivery_note"  # 出库单
    SHIPPING_LABEL = "shipping_label"  # 100 × 150 mm
    INVOICE = "invoice"  # customer invoice, from a shipment


def _kinds() -> str:
    return ", ".join(f"'{kind.value}'" for kind in DocumentKind)


class PrintTemplate(IdMixin, Base):
    """A named template of one document kind; its content lives in versions. At most one
    template per kind is the default."""

    __tablename__ = "print_template"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_kinds()})", name="known_kind"),
        CheckConstraint("language IN ('zh', 'en')", name="known_language"),
        Index("uq_print_template_default", "kind", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )

    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    is_default: Mapped[bool] = mapped_column(default=False)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PrintTemplateVersion(IdMixin, Base):
    """One saved state of a template: never changed, so a produced document can be traced to the
    exact template it came from."""

    __tablename__ = "print_template_version"
    __table_args__ = (Index("uq_print_template_version", "template_id", "version", unique=True),)

    template_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("print_template.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    html: Mapped[str] = mapped_column(Text)
    css: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PrintedDocument(IdMixin, Base):
    """A document produced: which kind and number, from which template version, when, by whom,
    and the SHA-256 of the PDF bytes."""

    __tablename__ = "printed_document"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_kinds()})", name="known_kind"),
        Index("ix_printed_document_number", "kind", "document_number"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    document_number: Mapped[str] = mapped_column(String(64))
    template_version_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("print_template_version.id"))
    shipment_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("shipment.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    produced_by_id: Mapped[int | None] = mapped_column(IdType, ForeignKey("app_user.id"))
    produced_at: Mapped[datetime] = mapped_column(default=utcnow)
