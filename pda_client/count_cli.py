"""The terminal flow of ``caixiao-pda count``: one scan (or typed command) per stdin line.

Scan a bin of the stocktake, then its items (each scan counts one of that barcode). Typed
commands: ``qty N`` sets the count of the last item, ``qty SKU N [LOT]`` counts by SKU, ``undo``
takes back the last step, ``done`` sends the bin's counts (never automatic), ``bins`` shows the
count tasks, ``quit`` stops and keeps the session for the next ``caixiao-pda count``.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from pda_client.count import CountingSession, CountScanResult
from pda_client.count_queue import BIN
from pda_client.errors import PdaError, quantity_text
from pda_client.outbox import PostResult
from pda_client.terminal import input_lines

COUNT_HELP = "Scan a bin, then its items, or type: qty N | qty SKU N [LOT] | undo | done | " \
             "bins | quit"


def show_bins(session: CountingSession) -> None:
    for task in session.bins:
        typer.echo(f"  {task['locationCode']:<12} {task['status'].lower():<8} "
                   f"round {task['round']}")


def show_step(result: CountScanResult) -> None:
    if result.kind == BIN:
        typer.echo(f"bin {result.bin}: scan its items")
    elif result.item is not None:
        typer.echo(f"{result.item.label}: {quantity_text(result.item.quantity)} in {result.bin}")
    for warning in result.warnings:
        typer.echo(f"! {warning}")


def show_next(session: CountingSession) -> None:
    current = session.current_bin()
    if current is None:
        typer.echo("> scan a bin")
        return
    counted = ", ".join(f"{item.label} × {quantity_text(item.quantity)}"
                        for item in session.items())
    typer.echo(f"> counting {current}: {counted or 'nothing yet'}")


def count_loop(session: CountingSession, show_post: Callable[[PostResult], None]) -> None:
    """Read scans and commands from stdin until ``quit`` or the end of input."""
    show_next(session)
    for raw, command, words in input_lines():
        try:
            if command == "quit":
                break
            if command == "bins":
                show_bins(session)
            elif command == "undo":
                undone = session.undo()
                typer.echo(f"Undone: {undone.kind} {undone.item or undone.bin}" if undone
                           else "Nothing to undo.")
            elif command == "qty":
                if len(words) == 2:
                    show_step(session.set_quantity(words[1]))
                elif len(words) in (3, 4):
                    show_step(session.set_quantity(words[2], words[1], *words[3:]))
                else:
                    typer.echo("usage: qty N | qty SKU N [LOT]")
            elif command == "done":
                for result in session.done():
                    show_post(result)
            else:
                show_step(session.scan(raw))
        except PdaError as error:
            typer.echo(f"! {error}")
        show_next(session)
    typer.echo(f"Session {session.id} kept: `caixiao-pda count {session.number}` goes on "
               "with it.")
