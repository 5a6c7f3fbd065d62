"""Receiving: scans, receipts, QC and putaway as the API shows them."""
