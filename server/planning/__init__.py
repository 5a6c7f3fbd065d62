"""Planning: the demand pool, forecasts, replenishment rules and purchase suggestions."""
