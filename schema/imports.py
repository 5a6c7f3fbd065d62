"""``importData``: a spreadsheet uploaded as a GraphQL multipart request, imported as one kind of
master data or opening stock. The templates are files: ``GET /imports/templates/KIND.xlsx``."""

from __future__ import annotations

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from schema.context import Info
from schema.errors import UserError, user_errors
from server.errors import DomainError
from server.imports.kinds import ImportKind, import_file
from server.imports.report import FileRejected, RowError

ImportKindType = strawberry.enum(ImportKind, name="ImportKind")


@strawberry.input
class ImportDataInput:
    kind: ImportKindType
    file: Upload = strawberry.field(
        description="An .xlsx workbook or a UTF-8 CSV file whose first row names the columns.")
    skip_bad_rows: bool = strawberry.field(
        default=False, description="Import the good rows and report the bad ones as skipped, "
                                   "instead of importing nothing when any row is bad.")


@strawberry.type(description="One thing wrong with a row of the file (the header is row 1).")
class ImportRowError:
    row: int
    column: str
    code: str
    message: str

    @classmethod
    def of(cls, error: RowError) -> ImportRowError:
        return cls(row=error.row, column=error.column, code=error.code, message=error.reason)


@strawberry.type
class ImportDataPayload:
    imported: int = strawberry.field(description="Rows written: created plus updated.")
    created: int
    updated: int
    skipped_rows: list[int] = strawberry.field(
        description="With skipBadRows, the rows left out; rowErrors says why.")
    row_errors: list[ImportRowError] = strawberry.field(
        description="Every problem found: of the skipped rows, or of a file refused whole.")
    user_errors: list[UserError]


def _refused(errors: list[UserError], row_errors: list[ImportRowError]) -> ImportDataPayload:
    return ImportDataPayload(imported=0, created=0, updated=0, skipped_rows=[],
                             row_errors=row_errors, user_errors=errors)


@strawberry.type
class ImportMutation:
    @strawberry.mutation(description="Import a file of products, suppliers, supplier items, "
                                     "customers, locations or opening stock: every row, or none "
                                     "when any is bad (unless skipBadRows).")
    async def import_data(self, info: Info, input: ImportDataInput) -> ImportDataPayload:
        # The Upload scalar takes any inline value too ("file": "x"): only a multipart file part
        # can be read.
        if not isinstance(input.file, UploadFile):
            return _refused([UserError(
                code="INVALID_INPUT", field="file",
                message="send the file as a part of a multipart request, not as a value")], [])
        # Closed at once, whatever follows: the parsed upload is a temporary file that nothing
        # else closes.
        try:
            data = await input.file.read()
        finally:
            await input.file.close()
        try:
            principal = info.context.user()
            outcome = await import_file(info.context.db, principal, ImportKind(input.kind), data,
                                        skip_bad_rows=input.skip_bad_rows)
        except FileRejected as rejected:
            summary = UserError(code="INVALID_INPUT", field="file", message=str(rejected))
            return _refused([summary], [ImportRowError.of(error) for error in rejected.errors])
        except DomainError as error:
            return _refused(user_errors(error), [])
        return ImportDataPayload(
            imported=outcome.imported, created=outcome.created, updated=outcome.updated,
            skipped_rows=outcome.skipped_rows,
            row_errors=[ImportRowError.of(error) for error in outcome.skipped],
            user_errors=[])
