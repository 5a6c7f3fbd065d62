"""GraphQL contract for purchasing: orders, supplier confirmations, shipping notices."""
