"""Receiving: barcode resolution, goods receipts, quality inspection and putaway."""
