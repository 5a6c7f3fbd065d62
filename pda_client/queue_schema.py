"""The tables of the handheld's queue file (pda_client.queue): the first schema, and the
migrations that bring a file written by an older client up to date."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS receiving_session (
    id INTEGER PRIMARY KEY,
    server TEXT NOT NULL,
    scanned TEXT NOT NULL,
    document TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scan (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES receiving_session (id),
    kind TEXT NOT NULL,
    raw TEXT,
    sku TEXT,
    warnings TEXT NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0,
    scanned_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scan_count (
    scan_id INTEGER NOT NULL REFERENCES scan (id),
    line_no INTEGER NOT NULL,
    lot TEXT,
    expiry TEXT,
    serial TEXT,
    quantity TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS post (
    id INTEGER PRIMARY KEY,
    server TEXT NOT NULL,
    operation TEXT NOT NULL,
    document TEXT NOT NULL,
    variables TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    session_id INTEGER REFERENCES receiving_session (id),
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scan_of_session ON scan (session_id);
CREATE INDEX IF NOT EXISTS count_of_scan ON scan_count (scan_id);
CREATE INDEX IF NOT EXISTS post_by_status ON post (server, status);
"""

# Applied in order to files older than them, each in one transaction with the version bump.
# Never edit one that has shipped: append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # The document a post acts on (a pick list number), so its posts go out in order.
        "ALTER TABLE post ADD COLUMN subject TEXT",
        "CREATE INDEX post_by_subject ON post (server, subject)",
        """CREATE TABLE picking_session (
            id INTEGER PRIMARY KEY,
            server TEXT NOT NULL,
            pick_list TEXT NOT NULL,
            document TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (server, pick_list)
        )""",
        # One step on a pick line: a bin, product or lot scan, a typed quantity, a short. A
        # confirmation settles the line's steps (post_id); they count again if it is refused.
        """CREATE TABLE pick_step (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES picking_session (id),
            line_no INTEGER NOT NULL,
            kind TEXT NOT NULL,
            raw TEXT,
            quantity TEXT,
            lot TEXT,
            reason TEXT,
            post_id INTEGER REFERENCES post (id),
            undone INTEGER NOT NULL DEFAULT 0,
            made_at TEXT NOT NULL
        )""",
        "CREATE INDEX pick_step_of_session ON pick_step (session_id)",
    ),
    (
        # A stocktake being counted on this device, as the server last described it.
        """CREATE TABLE count_session (
            id INTEGER PRIMARY KEY,
            server TEXT NOT NULL,
            stocktake TEXT NOT NULL,
            document TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (server, stocktake)
        )""",
        # One step of a count: a bin scanned, an item scanned (adds one of it) or a quantity
        # typed (replaces the item's count). Sending the bin's counts settles them (post_id).
        """CREATE TABLE count_step (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES count_session (id),
            kind TEXT NOT NULL,
            bin TEXT NOT NULL,
            item TEXT,
            by_sku INTEGER NOT NULL DEFAULT 0,
            lot TEXT,
            quantity TEXT,
            post_id INTEGER REFERENCES post (id),
            undone INTEGER NOT NULL DEFAULT 0,
            made_at TEXT NOT NULL
        )""",
        "CREATE INDEX count_step_of_session ON count_step (session_id)",
    ),
)
