"""GraphQL contract for master data."""
