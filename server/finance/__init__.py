"""Finance: supplier invoices matched three ways, customer invoices and payments, reports."""

# Registers the customer invoicing of shipments with server.sales.listeners wherever finance is
# loaded.
from server.finance import receivables as receivables
