"""Planning: the demand pool, forecasts, replenishment rules and purchase suggestions."""

# Registers the live recompute with server.changes wherever planning is loaded.
from server.planning import engine as engine
