"""Purchasing: purchase orders through approval to the supplier, confirmations, shipping notices."""
