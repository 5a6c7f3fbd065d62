"""Finance: supplier invoices matched three ways, customer invoices and payments, reports."""

# Registers the customer invoicing of shipments and the crediting of sales returns with
# server.sales.listeners wherever finance is loaded.
from server.finance import credit_notes as credit_notes
from server.finance import receivables as receivables
