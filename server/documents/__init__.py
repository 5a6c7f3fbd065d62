"""Documents: print templates kept as data, rendered to PDF with barcodes and Chinese text."""
