"""Which product × warehouse pairs a transaction changed the stock or demand of, and what must
follow once it has committed.

Areas upstream of planning (inventory postings, sales orders, purchase orders, sales history)
mark the pairs they touch; right after ``Database.transaction`` commits, the reactions registered
here (planning's live recompute) run for everything marked, in an immediately following
transaction, before the caller gets its answer. So a suggestion never lags the change that caused
it, the change itself does not wait for planning while it holds its stock locks, a failing
reaction cannot undo it, and the upstream areas never import planning.

Commits that land while a reaction is running share the next one (``Reactions``): a burst of
200 orders for one product recomputes its suggestion a few times, not 200 times, and each
order still gets its answer only once a reaction that started after its commit has finished.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

Pair = tuple[int, int]  # (product_id, warehouse_id)
Reaction = Callable[[AsyncSession, frozenset[Pair]], Awaitable[None]]

_CHANGED_KEY = "caixiao.changed_pairs"
_reactions: list[Reaction] = []


def on_pairs_changed(reaction: Reaction) -> Reaction:
    """Register ``reaction`` (once; usable as a decorator)."""
    if reaction not in _reactions:
        _reactions.append(reaction)
    return reaction


def mark_changed(session: AsyncSession, pairs: Iterable[Pair]) -> None:
    changed: set[Pair] = session.info.setdefault(_CHANGED_KEY, set())
    changed.update(pairs)


def take_changes(session: AsyncSession) -> frozenset[Pair]:
    """The pairs marked in ``session`` so far, forgetting them."""
    return frozenset(session.info.pop(_CHANGED_KEY, ()))


async def react(session: AsyncSession, pairs: frozenset[Pair]) -> None:
    for reaction in list(_reactions):
        await reaction(session, pairs)


class Reactions:
    """Runs ``react_to`` for the pairs committed in this process, one run at a time: pairs
    committed while a run is under way wait for the next run, which takes all of them at once.

    A run takes the pending pairs before its transaction starts, so it reads every commit that
    handed it pairs; ``after_commit`` returns once such a run has finished. ``react_to`` must
    not raise (``Database`` logs its failures)."""

    def __init__(self, react_to: Callable[[frozenset[Pair]], Awaitable[None]]) -> None:
        self._react_to = react_to
        self._pending: set[Pair] = set()
        self._next_run: asyncio.Future[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def after_commit(self, pairs: frozenset[Pair]) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a Database used from a new event loop (tests, CLI)
            self._loop, self._pending, self._next_run, self._runner = loop, set(), None, None
        self._pending |= pairs
        if self._runner is not None and asyncio.current_task() is self._runner:
            return  # a reaction's own changes: the running loop takes them next
        if self._next_run is None:
            self._next_run = loop.create_future()
        next_run = self._next_run
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run_all())
        await asyncio.shield(next_run)

    async def _run_all(self) -> None:
        try:
            while self._pending:
                pairs, finished = frozenset(self._pending), self._next_run
                self._pending, self._next_run = set(), None
                try:
                    await self._react_to(pairs)
                finally:
                    _release(finished)
        finally:
            # Cancelled (the server stopping): nobody is left waiting for a run that will not
            # come; the pending pairs go with the next commit's run.
            _release(self._next_run)
            self._next_run = None


def _release(waiting: asyncio.Future[None] | None) -> None:
    if waiting is not None and not waiting.done():
        waiting.set_result(None)
