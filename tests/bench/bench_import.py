"""Benchmark: a 10,000-row product workbook (issue 10: a clear report of its 3 bad rows and
nothing imported; fixed, it imports in under 30 s), on SQLite and PostgreSQL.

Run as a script (pytest does not collect tests/bench)::

    .venv/bin/python tests/bench/bench_import.py [--rows 10000] [--backend sqlite|postgres|both]

What it does, per backend: a scratch database at the latest schema (a SQLite file in a temporary
folder; a new PostgreSQL database on CAIXIAO_BENCH_DATABASE_URL's server, by default the local
one) with one purchaser. It writes an .xlsx with ``--rows`` products (sku, name, category, unit,
list price, safety stock, tags, a valid EAN-13, every third row a case barcode of 12), three of
them made bad: a wrong EAN-13 check digit, a sku repeated from an earlier row, a price that is no
number. The import of that file must be refused with exactly those 3 rows and leave the product
table empty; then the fixed workbook is imported, and imported again (every row an update).
Each import is timed with ``time.perf_counter`` around ``import_file``, in this process: reading
the workbook (openpyxl, read-only mode), the row rules, the reference checks and the writes,
up to the commit. The parse alone (reading and row rules, no database) is timed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from argon2 import PasswordHasher
from biip.checksums import gs1_standard_check_digit
from openpyxl import Workbook
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import auth  # noqa: E402
from server.auth import Role  # noqa: E402
from server.catalog.models import Product, ProductBarcode  # noqa: E402
from server.catalog.rules import ean13_check_digit  # noqa: E402
from server.db import Database  # noqa: E402
from server.imports.kinds import ImportKind, import_file  # noqa: E402
from server.imports.product_rows import COLUMNS, parse_products  # noqa: E402
from server.imports.report import FileRejected  # noqa: E402
from server.imports.table import read_sheet  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from tests.bench.bench_subscriptions import scratch_database  # noqa: E402

GOAL_SECONDS = 30.0
DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Argon2's default cost is irrelevant to an import: the user is made once, cheaply.
auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def ean13(index: int) -> str:
    body = f"69{index:010d}"
    return body + ean13_check_digit(body)


def gtin14_of_case(ean: str) -> str:
    body = "1" + ean[:12]
    return body + str(gs1_standard_check_digit(body))


def workbook(rows: int, bad: bool) -> bytes:
    """The products file; with ``bad``, rows 1,235, 5,001 and 8,001 (as a spreadsheet numbers
    them) each have one fault."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("products")
    sheet.append([column.name for column in COLUMNS])
    for index in range(rows):
        row_number = index + 2
        barcode = ean13(index)
        case = gtin14_of_case(barcode) if index % 3 == 0 else ""
        sku = f"SKU-{index:06d}"
        price: object = round(10 + index % 500 * 1.25, 2)
        if bad and row_number == 1_235:
            barcode = barcode[:12] + str((int(barcode[12]) + 1) % 10)
        if bad and row_number == 5_001:
            sku = "SKU-000007"
        if bad and row_number == 8_001:
            price = "twelve"
        sheet.append([sku, f"Product {index}", f"category-{index % 40}", "pcs", "no", "no",
                      index % 20, price, "bench; import", barcode, case,
                      12 if case else None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{folder}/bench.db"


async def product_counts(db: Database) -> tuple[int, int]:
    async with db.reader() as session:
        products = await session.scalar(select(func.count()).select_from(Product)) or 0
        barcodes = await session.scalar(select(func.count()).select_from(ProductBarcode)) or 0
    return products, barcodes


async def run(url: str, rows: int, bad_file: bytes, good_file: bytes) -> dict[str, float]:
    db = Database(url)
    try:
        purchaser = await auth.create_user(db, "purchaser", "correct-horse-9", [Role.PURCHASER])
        started = time.perf_counter()
        try:
            await import_file(db, purchaser, ImportKind.PRODUCTS, bad_file)
            raise SystemExit("the file with 3 bad rows was imported")
        except FileRejected as rejected:
            refused = time.perf_counter() - started
            print(f"  refused in {refused:.2f} s; the report:")
            for error in rejected.errors:
                print(f"    row {error.row:>6}  {error.column:<12} {error.reason}")
            if len(rejected.errors) != 3:
                raise SystemExit(f"expected 3 problems, got {len(rejected.errors)}") from None
        if await product_counts(db) != (0, 0):
            raise SystemExit("the refused file left products behind")
        print("  nothing imported: 0 products, 0 barcodes")
        figures = {"refused": refused}
        for label in ("created", "updated"):
            started = time.perf_counter()
            outcome = await import_file(db, purchaser, ImportKind.PRODUCTS, good_file)
            figures[label] = time.perf_counter() - started
            print(f"  fixed file, {label}: {outcome.imported:,} rows ({outcome.created:,} "
                  f"created, {outcome.updated:,} updated) in {figures[label]:.2f} s")
        products, barcodes = await product_counts(db)
        print(f"  in the database: {products:,} products, {barcodes:,} barcodes")
        if products != rows:
            raise SystemExit(f"expected {rows} products, found {products}")
        return figures
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    arguments = parser.parse_args()
    bad_file = workbook(arguments.rows, bad=True)
    good_file = workbook(arguments.rows, bad=False)
    print(f"workbook: {arguments.rows:,} rows, {len(good_file) / 1e6:.1f} MB")
    started = time.perf_counter()
    parsed = parse_products(*read_sheet(good_file))
    print(f"parse only (read the workbook, row rules): {time.perf_counter() - started:.2f} s, "
          f"{len(parsed.rows):,} rows, {len(parsed.errors)} problems")
    backends = ["sqlite", "postgres"] if arguments.backend == "both" else [arguments.backend]
    slowest = 0.0
    for backend in backends:
        print(f"{backend}:")
        if backend == "sqlite":
            database = sqlite_database()
        else:
            database = scratch_database(os.environ.get("CAIXIAO_BENCH_DATABASE_URL",
                                                       DEFAULT_PG_SERVER))
        with database as url:
            upgrade(url)
            figures = asyncio.run(run(url, arguments.rows, bad_file, good_file))
        slowest = max(slowest, *figures.values())
    verdict = "within" if slowest < GOAL_SECONDS else "OVER"
    print(f"slowest import {slowest:.2f} s: {verdict} the {GOAL_SECONDS:.0f} s goal")


if __name__ == "__main__":
    main()
