"""Finance: supplier invoices matched three ways, customer invoices and payments, reports."""
