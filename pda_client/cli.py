"""``caixiao-pda``: the handheld's commands.

``caixiao-pda login --url http://server:8000 USERNAME`` asks for the password and saves the
token (see pda_client.config); ``whoami`` asks the server who that token is. ``receive`` counts
goods from a keyboard-wedge scanner (one scan per line on stdin), ``sync`` sends what the offline
queue holds (pda_client.queue; ``$CAIXIAO_PDA_QUEUE`` to move it), ``pending`` shows it,
``inspect`` / ``putaway`` list and work off the warehouse's QC and putaway tasks, ``pick`` walks
a pick list bin by bin (pda_client.pick_cli), ``ship`` confirms its shipment, ``count``
counts a stocktake's bins (pda_client.count_cli) and ``return`` receives and inspects sales
returns (pda_client.returns_cli).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, NoReturn

import typer

from pda_client.client import PdaClient, PdaError, PostResult
from pda_client.config import PdaConfig, config_path, load_config, save_config
from pda_client.count import start_counting
from pda_client.count_cli import COUNT_HELP, count_loop
from pda_client.count_queue import CountStore
from pda_client.errors import quantity_text, to_quantity
from pda_client.pick_cli import PICK_HELP, pick_loop
from pda_client.queue import CONFLICT, PENDING, SENT
from pda_client.receive import ReceivingSession, ScanResult
from pda_client.returns_cli import return_commands
from pda_client.tasks import WarehouseTask
from pda_client.terminal import input_lines

app = typer.Typer(
    help="Caixiao handheld client.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

RECEIVE_HELP = "Scan, or type: post | undo | qty SKU N [LOT] | lines | quit"
WAREHOUSE_ENV = "CAIXIAO_PDA_WAREHOUSE"
RECEIPT_OPERATIONS = frozenset({"receiveGoods", "receiveTransfer"})
Warehouse = Annotated[str | None, typer.Option(
    "--warehouse", envvar=WAREHOUSE_ENV, help="Warehouse code, e.g. WH1.")]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def _reported() -> Iterator[None]:
    """Ends the command with the message of a PdaError raised inside."""
    try:
        yield
    except PdaError as error:
        _fail(str(error))


@app.command()
def login(
    username: Annotated[str, typer.Argument(help="Your Caixiao username.")],
    password: Annotated[str, typer.Option(
        prompt=True, hide_input=True, envvar="CAIXIAO_PDA_PASSWORD",
        help="Asked for (hidden) when not given.",
    )],
    url: Annotated[str | None, typer.Option(
        help="The server, e.g. http://10.0.0.5:8000; the last one used if omitted.",
    )] = None,
) -> None:
    """Log in and save the token for the next commands."""
    path = config_path()
    with _reported():
        server = url or _saved_url()
        with PdaClient(server) as client:
            session = client.login(username, password)
            save_config(path, PdaConfig(url=client.url, username=username, token=session.token))
    expires = f", valid until {session.expires_at:%Y-%m-%d %H:%M %Z}" if session.expires_at else ""
    typer.echo(f"Logged in to {client.url} as {username}{expires}. Token saved in {path}.")


def _saved_url() -> str:
    saved = load_config(config_path())
    if saved is None:
        _fail("give the server with --url (no earlier login to take it from)")
    return saved.url


def _saved() -> PdaConfig:
    saved = load_config(config_path())
    if saved is None:
        _fail("not logged in: run `caixiao-pda login --url URL USERNAME` first")
    return saved


def _client() -> PdaClient:
    saved = _saved()
    return PdaClient(saved.url, token=saved.token)


@app.command()
def whoami() -> None:
    """Show the user behind the saved token, as the server sees it."""
    with _reported():
        saved = _saved()
        with PdaClient(saved.url, token=saved.token) as client:
            identity = client.me()
    supplier = f", supplier {identity.supplier_id}" if identity.supplier_id else ""
    typer.echo(f"{identity.username} on {saved.url} (roles: {', '.join(identity.roles)}{supplier})")


def _show_lines(session: ReceivingSession) -> None:
    for tally in session.lines():
        line = tally.line
        lots = ", ".join(f"{lot or 'no lot'}: {quantity_text(q)}" for lot, q in tally.lots if q)
        typer.echo(
            f"  {line.line_no:>3} {line.sku:<12} expected {quantity_text(line.remaining):>6}"
            f"  counted {quantity_text(tally.counted):>6}"
            f"  max {quantity_text(line.max_receivable):>6}"
            f"{'  OVER' if tally.over_receipt else ''}{f'  ({lots})' if lots else ''}")


def _show_scan(result: ScanResult) -> None:
    for count in result.counts:
        lot = f" lot {count.lot}" if count.lot else ""
        typer.echo(f"{count.added.normalize():+f} {count.line.sku}{lot} "
                   f"(line {count.line.line_no}): "
                   f"counted {quantity_text(count.counted)}")
    for warning in result.warnings:
        typer.echo(f"! {warning}")


def _show_post(result: PostResult, pending: int) -> None:
    if result.status == SENT:
        typer.echo(f"Sent: {result.operation} #{result.post_id}"
                   + (f", receipt {result.receipt_number}" if result.receipt_number else "")
                   + (f", shipment {result.shipment_number}" if result.shipment_number else ""))
    elif result.status == PENDING:
        typer.echo(f"Not sent yet: {result.operation} #{result.post_id} is kept in the queue "
                   f"({result.error}). {pending} pending: run `caixiao-pda sync` later.")
    elif result.status == CONFLICT:
        typer.echo(f"Refused: {result.operation} #{result.post_id}")
        for problem in result.problems:
            line = problem.line or {}
            what = line.get("sku") or line.get("barcode") or problem.field or ""
            lot = f" lot {line['lot']}" if line.get("lot") else ""
            typer.echo(f"  {problem.code} {what}{lot}: {problem.message}")
    else:
        typer.echo(f"Failed: {result.operation} #{result.post_id}: {result.error}")


def _receive_loop(client: PdaClient, session: ReceivingSession) -> None:
    for raw, command, words in input_lines():
        try:
            if command == "quit":
                break
            elif command == "lines":
                _show_lines(session)
            elif command == "undo":
                undone = session.undo()
                typer.echo(f"Undone: {undone.raw or 'qty ' + str(undone.sku)}" if undone
                           else "Nothing to undo.")
                _show_lines(session)
            elif command == "qty":
                if len(words) not in (3, 4):
                    typer.echo("usage: qty SKU N [LOT]")
                    continue
                _show_scan(session.set_quantity(words[1], words[2], *words[3:]))
                _show_lines(session)
            elif command == "post":
                result = session.post()
                _show_post(result, client.pending_count())
                if result.status != CONFLICT:
                    return
                _show_lines(session)
                typer.echo("Nothing is lost: fix with qty / undo and post again.")
            else:
                _show_scan(session.scan(raw))
                _show_lines(session)
        except PdaError as error:
            typer.echo(f"! {error}")
    typer.echo(f"Session {session.id} kept: `caixiao-pda receive {session.document.scanned}` "
               "goes on with it.")


@app.command()
def receive(
    document: Annotated[str, typer.Argument(help="The PO, ASN, pallet or transfer barcode.")],
) -> None:
    """Count goods against a document: each scan is a line on stdin."""
    with _client() as client:
        with _reported():
            session = client.start_receiving(document)
        doc = session.document
        notice = f", ASN {doc.notice_number}" if doc.notice_number else ""
        typer.echo(f"Receiving {doc.order_number}{notice} into {doc.warehouse_code} "
                   f"(session {session.id}, {client.pending_count()} pending). {RECEIVE_HELP}")
        waiting = sum(post.operation in RECEIPT_OPERATIONS for post in client.outbox())
        if waiting:
            typer.echo(f"! {waiting} receipt(s) still wait to be sent: run `caixiao-pda sync`, "
                       "and do not count those goods again.")
        _show_lines(session)
        _receive_loop(client, session)


@app.command()
def sync() -> None:
    """Send every pending post, exactly once each; exit 1 unless all were sent."""
    with _client() as client:
        reports = client.sync()
        still_pending = client.pending_count()
        for report in reports:
            _show_post(report, still_pending)
        typer.echo(f"{len(reports)} sent or tried, {still_pending} pending.")
    if any(report.status != SENT for report in reports):
        raise typer.Exit(1)


@app.command()
def pending() -> None:
    """Show open receiving sessions and the posts waiting to be sent."""
    with _client() as client:
        for session in client.receiving_sessions():
            counted = sum((tally.counted for tally in session.lines()), Decimal(0))
            typer.echo(f"session {session.id}: receiving {session.document.scanned}, "
                       f"{quantity_text(counted)} counted")
        for picking in client.picking_sessions():
            left = sum(progress.line.open and not progress.waiting for progress in picking.lines())
            typer.echo(f"picking {picking.number}: {left} line(s) left to pick, "
                       f"{len(picking.waiting())} waiting to be sent")
        store = CountStore(client.queue)
        for counting in store.sessions():
            steps = store.live_steps(counting.id)
            if steps:
                typer.echo(f"counting {counting.stocktake}: bin {steps[-1].bin}, "
                           f"{len(steps)} step(s) not sent (`done` sends them)")
        for post in client.outbox():
            typer.echo(f"#{post.post_id} {post.operation} key {post.idempotency_key} "
                       f"({post.attempts} attempts): {post.error or 'not sent yet'}")
        typer.echo(f"{client.pending_count()} pending.")


def _show_tasks(tasks: list[WarehouseTask]) -> None:
    if not tasks:
        typer.echo("No open tasks.")
    for task in tasks:
        to = f" -> {task.suggested_location}" if task.suggested_location else ""
        typer.echo(f"{task.id:>5} {task.kind:<7} {task.sku:<12} lot {task.lot or '-':<10} "
                   f"{quantity_text(task.remaining_quantity):>6} at {task.location}{to}  "
                   f"{task.document_number}")


def _list_tasks(warehouse: str | None, kind: str) -> None:
    if not warehouse:
        _fail(f"give the warehouse with --warehouse (or ${WAREHOUSE_ENV})")
    with _client() as client, _reported():
        _show_tasks(client.tasks(warehouse, [kind]))


def _finish(result: PostResult, client: PdaClient) -> None:
    _show_post(result, client.pending_count())
    if result.status not in (SENT, PENDING):
        raise typer.Exit(1)


def _send(action: Callable[[PdaClient], PostResult]) -> None:
    """Post one action with the saved login and show how it went; exit 1 unless it was sent or
    waits in the queue."""
    with _client() as client:
        with _reported():
            outcome = action(client)
        _finish(outcome, client)


@app.command()
def inspect(
    task_id: Annotated[str | None, typer.Argument(help="The QC task; omit to list them.")] = None,
    warehouse: Warehouse = None,
    accept: Annotated[str, typer.Option(help="Quantity accepted.")] = "0",
    reject: Annotated[str, typer.Option(help="Quantity rejected.")] = "0",
    result: Annotated[str | None, typer.Option(
        help="PASS, FAIL or CONCESSION; PASS/FAIL by default when only one side is given.")] = None,
    notes: Annotated[str, typer.Option(help="What was found.")] = "",
    reject_location: Annotated[str | None, typer.Option(
        help="Where rejected goods go (default: the warehouse's rejected bin).")] = None,
) -> None:
    """List open QC tasks, or record a decision on one."""
    if task_id is None:
        _list_tasks(warehouse, "QC")
        return
    with _client() as client:
        with _reported():
            accepted, rejected = to_quantity(accept, "--accept"), to_quantity(reject, "--reject")
            decision = result or ("PASS" if not rejected else "FAIL" if not accepted else None)
            if decision is None:
                _fail("give --result (PASS, FAIL or CONCESSION) for a split decision")
            outcome = client.record_inspection(task_id, accepted, rejected, decision, notes,
                                               reject_location_code=reject_location)
        _finish(outcome, client)


@app.command()
def putaway(
    sku: Annotated[str | None, typer.Argument(help="Omit all four to list the tasks.")] = None,
    from_bin: Annotated[str | None, typer.Argument(help="Where the goods lie now.")] = None,
    to_bin_barcode: Annotated[str | None, typer.Argument(help="The target bin, scanned.")] = None,
    quantity: Annotated[str | None, typer.Argument(help="How many units.")] = None,
    lot: Annotated[str | None, typer.Option(help="The lot moved.")] = None,
    warehouse: Warehouse = None,
) -> None:
    """List open putaway tasks, or confirm one by scanning the target bin."""
    given = [sku, from_bin, to_bin_barcode, quantity]
    if not any(given):
        _list_tasks(warehouse, "PUTAWAY")
        return
    if sku is None or from_bin is None or to_bin_barcode is None or quantity is None:
        _fail("usage: caixiao-pda putaway SKU FROM_BIN TO_BIN_BARCODE QTY [--lot L]")
    _send(lambda client: client.putaway(sku, from_bin, to_bin_barcode, quantity, lot,
                                        warehouse_code=warehouse))


@app.command()
def pick(
    pick_list: Annotated[str | None, typer.Argument(
        help="The pick list barcode; omit it for the next pick task of --warehouse.")] = None,
    warehouse: Warehouse = None,
) -> None:
    """Pick a pick list bin by bin: each scan is a line on stdin; `confirm` sends a line."""
    if pick_list is None and not warehouse:
        _fail(f"give the pick list, or the warehouse with --warehouse (or ${WAREHOUSE_ENV})")
    with _client() as client:
        with _reported():
            session = (client.start_picking(pick_list) if pick_list
                       else client.next_pick_task(str(warehouse)))
        if session is None:
            typer.echo(f"No pick tasks left in {warehouse}.")
            return
        orders = ", ".join(session.pick_list.order_numbers)
        typer.echo(f"Picking {session.number} for {orders} (session {session.id}, "
                   f"{client.pending_count()} pending). {PICK_HELP}")
        pick_loop(session, lambda result: _show_post(result, client.pending_count()))


@app.command()
def ship(
    pick_list: Annotated[str, typer.Argument(help="The pick list whose picked goods leave.")],
    carrier: Annotated[str, typer.Option(help="Who carries it, e.g. SF Express.")],
    tracking: Annotated[str, typer.Option(help="The carrier's tracking number.")],
) -> None:
    """Confirm the shipment of everything picked on a pick list."""
    _send(lambda client: client.confirm_shipment(pick_list, carrier, tracking))


@app.command("ship-transfer")
def ship_transfer(
    transfer: Annotated[str, typer.Argument(help="The transfer whose picked goods leave, TR-….")],
) -> None:
    """Send a picked transfer on its way to the destination warehouse."""
    _send(lambda client: client.ship_transfer(transfer))


@app.command()
def count(
    stocktake: Annotated[str, typer.Argument(help="The stocktake number, e.g. ST-2026-000001.")],
    device: Annotated[str | None, typer.Option(
        envvar="CAIXIAO_PDA_DEVICE",
        help="This device's name; its later count of an item replaces the earlier one "
             "(default: the host name).")] = None,
) -> None:
    """Count a stocktake: scan a bin, then its items; `done` sends the bin's counts."""
    with _client() as client:
        with _reported():
            session = start_counting(client, stocktake, device or socket.gethostname())
        blind = " (blind)" if session.document.get("blind") else ""
        typer.echo(f"Counting {session.number}{blind} as {session.device_id} (session "
                   f"{session.id}, {client.pending_count()} pending). {COUNT_HELP}")
        count_loop(session, lambda result: _show_post(result, client.pending_count()))


app.add_typer(return_commands(_send), name="return")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
