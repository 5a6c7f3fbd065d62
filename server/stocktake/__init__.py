"""Stocktakes (盘点): freeze what a warehouse's bins should hold, count them by PDA, post the
variances through the ledger with the stocktake as the document."""
