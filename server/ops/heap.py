"""Keeps the cyclic garbage collector off the server's long-lived objects.

A worker holding a thousand subscriptions keeps a few hundred thousand objects alive (the
imported modules, the schema, every connection's handler and tasks), and each pushed event leaves
a dozen new objects per subscriber that live until the next event (the awaiting generators, the
last result). With Python's default thresholds the collector walks those after nearly every
event and, every few dozen events, walks the whole heap: a pause of hundreds of milliseconds in
the middle of a burst of deliveries. Objects that exist once the app has started live as long
as the process, so they are frozen out of collection; a larger first-generation threshold lets
an event's objects die by reference counting before a collection would look at them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Net new container objects between young collections (Python's default is 700).
YOUNG_THRESHOLD = 20_000


@dataclass(frozen=True, slots=True)
class SettledHeap:
    previous_thresholds: tuple[int, int, int]

    def release(self) -> None:
        """Undo ``settle_heap`` (at shutdown, so an embedding process such as the tests gets its
        objects back under collection)."""
        gc.unfreeze()
        gc.set_threshold(*self.previous_thresholds)


def settle_heap() -> SettledHeap:
    """Freeze what exists now out of collection and raise the young-generation threshold.
    Freezing is cheap; a full collection first would not be (and little of the startup heap is
    garbage), so startup's few cyclic leftovers simply stay until ``release``."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, previous[1], previous[2])
    return SettledHeap(previous)


@contextmanager
def collector_paused() -> Iterator[None]:
    """For work that allocates hundreds of thousands of small objects (Decimals, dicts, tuples,
    rows) and next to no cycles: reference counting frees them, while the cyclic collector, set
    off by the allocations, would walk them over and over (about half of a planning slice's
    CPU). The collector is back on afterwards and catches up with any cycles then; requests
    served while the work awaits the database only wait longer for their cycles to be
    collected."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
