"""GraphQL contract for planning: forecasts and replenishment rules."""
