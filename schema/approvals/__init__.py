"""GraphQL contract for approval policies and tasks."""
