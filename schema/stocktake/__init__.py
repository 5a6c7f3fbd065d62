"""The stocktake contract: start, count, recount, post, and the live count and status feeds."""
