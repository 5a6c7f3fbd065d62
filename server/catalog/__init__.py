"""Master data: products and their barcodes, suppliers and what they sell, customers, warehouses."""
