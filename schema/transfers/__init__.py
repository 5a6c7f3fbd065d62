"""GraphQL for transfers between warehouses."""
