"""``caixiao-pda return receive`` / ``return inspect``: sales returns from the handheld."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from pda_client import returns
from pda_client.client import PdaClient
from pda_client.outbox import PostResult

# Posts one action with the main CLI's login and reports how it went.
Send = Callable[[Callable[[PdaClient], PostResult]], None]


def return_commands(send: Send) -> typer.Typer:
    """The ``return`` command group, built on the main CLI's login and reporting."""
    group = typer.Typer(help="Sales returns: receive them by scan, inspect them.",
                        no_args_is_help=True)

    @group.command("receive")
    def receive(
        document: Annotated[str, typer.Argument(help="The return number (RMA-…), scanned.")],
        scans: Annotated[list[str], typer.Argument(
            help="Product barcodes as scanned, one unit each; CODE*N counts N.")],
        warehouse: Annotated[str, typer.Option(
            "--warehouse", envvar="CAIXIAO_PDA_WAREHOUSE", help="Warehouse code.")],
    ) -> None:
        """Receive returned goods into pending QC, one QC task per line."""
        send(lambda client: returns.receive_return(client, document, warehouse, scans))

    @group.command("inspect")
    def inspect(
        task_id: Annotated[str, typer.Argument(help="The return's QC task.")],
        restock: Annotated[str, typer.Option(help="Back to available stock.")] = "0",
        scrap: Annotated[str, typer.Option(help="To the rejected bin.")] = "0",
        notes: Annotated[str, typer.Option(help="What was found.")] = "",
        reject_location: Annotated[str | None, typer.Option(
            help="Where scrapped goods go (default: the warehouse's rejected bin).")] = None,
    ) -> None:
        """Restock and/or scrap part of a return's QC task."""
        send(lambda client: returns.inspect_return(client, task_id, restock, scrap, notes,
                                                   reject_location_code=reject_location))

    return group
