"""Who changed what, when, and how it ended: one append-only row per mutation."""
