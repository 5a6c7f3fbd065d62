"""GraphQL contract for stock: levels, the ledger, manual movements, live changes."""
