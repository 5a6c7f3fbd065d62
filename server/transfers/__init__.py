"""Transfers between warehouses (调拨): reserve at the source, pick and ship by PDA, in transit to
the destination, received there by PDA scan, the cost travelling with the goods."""
