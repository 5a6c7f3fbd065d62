"""The terminal flow of ``caixiao-pda pick``: one scan (or typed command) per stdin line, the
instruction for the current line after each, warnings at once.

Typed commands: ``qty N`` sets the count, ``short N REASON...`` reports N not there, ``undo`` takes
back the last step, ``confirm`` sends the line (never automatic, also when the count reaches what
the line asks: a picker may still find the next scan was wrong), ``lines`` shows the list,
``quit`` stops and keeps the session for the next ``caixiao-pda pick``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import typer

from pda_client.errors import PdaError, quantity_text
from pda_client.outbox import PostResult
from pda_client.pick import LineProgress, PickingSession, PickScanResult
from pda_client.pick_queue import BIN, LOT, SHORT
from pda_client.terminal import input_lines

PICK_HELP = "Scan, or type: qty N | short N REASON | undo | confirm | lines | quit"


def _state(progress: LineProgress) -> str:
    if progress.waiting:
        return "waiting to be sent"
    return progress.line.status.lower()


def show_lines(session: PickingSession) -> None:
    for progress in session.lines():
        line = progress.line
        lot = f"lot {line.lot}" if line.lot else "no lot"
        done = f"  picked {quantity_text(progress.picked)}" if progress.picked else ""
        short = f"  short {quantity_text(progress.short)}" if progress.short else ""
        typer.echo(f"  {line.line_no:>3} {line.bin:<10} {line.sku:<12} {lot:<10} "
                   f"to pick {quantity_text(line.remaining):>5}{done}{short}  {_state(progress)}")


def show_step(result: PickScanResult) -> None:
    progress = result.progress
    if result.kind == BIN:
        typer.echo(f"bin {progress.bin} ok")
    elif result.kind == LOT:
        typer.echo(f"lot {progress.lot_seen} ok")
    elif result.kind == SHORT:
        typer.echo(f"short {quantity_text(progress.short)} {progress.sku}: "
                   f"{progress.short_reason or '-'}")
    elif result.kind is not None:
        typer.echo(f"{result.added.normalize():+f} {progress.sku}: "
                   f"{quantity_text(progress.picked)} of {quantity_text(progress.remaining)} "
                   "picked")
    for warning in result.warnings:
        typer.echo(f"! {warning}")


def show_next(session: PickingSession) -> bool:
    """Print what to do now; False when nothing is left to pick here."""
    progress = session.current()
    if progress is not None:
        typer.echo(f"> {progress.instruction}")
        return True
    waiting = len(session.waiting())
    if waiting:
        typer.echo(f"Nothing left to pick here; {waiting} confirmation(s) wait to be sent: "
                   "run `caixiao-pda sync`.")
    else:
        typer.echo(f"{session.number} is picked: `caixiao-pda ship {session.number} --carrier C"
                   " --tracking T` ships it.")
    return False


def pick_loop(session: PickingSession, show_post: Callable[[PostResult], None]) -> None:
    """Read scans and commands from stdin until the list is done, ``quit`` or end of input."""
    if not show_next(session):
        return
    for raw, command, words in input_lines():
        try:
            if command == "quit":
                break
            if command == "lines":
                show_lines(session)
            elif command == "undo":
                undone = session.undo()
                typer.echo(f"Undone: {undone.kind} "
                           f"{undone.raw or quantity_text(undone.quantity or Decimal(0))}"
                           if undone else "Nothing to undo.")
            elif command == "qty":
                if len(words) != 2:
                    typer.echo("usage: qty N")
                    continue
                show_step(session.set_quantity(words[1]))
            elif command == "short":
                if len(words) < 3:
                    typer.echo("usage: short N REASON")
                    continue
                show_step(session.short(words[1], " ".join(words[2:])))
            elif command == "confirm":
                show_post(session.confirm())
            else:
                show_step(session.scan(raw))
        except PdaError as error:
            typer.echo(f"! {error}")
        if not show_next(session):
            return
    typer.echo(f"Session {session.id} kept: `caixiao-pda pick {session.number}` goes on with it.")
