"""Stock: the append-only ledger, the balances the database defends, and moving-average cost."""
