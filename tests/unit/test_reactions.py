"""Reactions to committed pairs run one at a time; commits that land during a run share the next
one, and each committer returns only once a run that started after its commit has finished."""

from __future__ import annotations

import asyncio

from server.changes import Pair, Reactions


async def test_commits_during_a_run_share_the_next_run_which_sees_them_all() -> None:
    committed: list[int] = []
    runs: list[tuple[set[int], frozenset[Pair]]] = []

    async def react_to(pairs: frozenset[Pair]) -> None:
        seen = set(committed)  # what a transaction starting now reads
        await asyncio.sleep(0.01)
        runs.append((seen, pairs))

    reactions = Reactions(react_to)

    async def commit(caller: int) -> None:
        await asyncio.sleep(0.001 * caller)
        committed.append(caller)
        await reactions.after_commit(frozenset({(caller % 3, 1)}))
        assert any(caller in seen for seen, _ in runs), f"{caller} returned before its run"

    await asyncio.gather(*(commit(caller) for caller in range(30)))
    assert 2 <= len(runs) < 30
    assert runs[-1][0] == set(range(30))
    assert set().union(*(pairs for _, pairs in runs)) == {(0, 1), (1, 1), (2, 1)}


async def test_a_commit_made_by_a_reaction_is_taken_by_the_next_run_without_waiting() -> None:
    runs: list[frozenset[Pair]] = []

    async def react_to(pairs: frozenset[Pair]) -> None:
        runs.append(pairs)
        if len(runs) == 1:
            await reactions.after_commit(frozenset({(2, 1)}))  # would wait for itself

    reactions = Reactions(react_to)
    await asyncio.wait_for(reactions.after_commit(frozenset({(1, 1)})), timeout=5)
    await asyncio.sleep(0)
    assert runs == [frozenset({(1, 1)}), frozenset({(2, 1)})]


async def test_a_cancelled_run_releases_its_waiters_and_the_next_commit_runs_again() -> None:
    started = asyncio.Event()
    runs: list[frozenset[Pair]] = []

    async def react_to(pairs: frozenset[Pair]) -> None:
        runs.append(pairs)
        if len(runs) == 1:
            started.set()
            await asyncio.sleep(60)

    reactions = Reactions(react_to)
    first = asyncio.create_task(reactions.after_commit(frozenset({(1, 1)})))
    await started.wait()
    second = asyncio.create_task(reactions.after_commit(frozenset({(2, 1)})))
    await asyncio.sleep(0)
    runner = reactions._runner
    assert runner is not None
    runner.cancel()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=5)
    await asyncio.wait_for(reactions.after_commit(frozenset({(3, 1)})), timeout=5)
    assert runs == [frozenset({(1, 1)}), frozenset({(2, 1), (3, 1)})]
