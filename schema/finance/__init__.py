"""GraphQL contract for finance: payables, receivables and their reports."""
