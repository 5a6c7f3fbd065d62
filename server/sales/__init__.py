"""Sales: orders with live stock checks and reservations, backorders, picking and shipping."""
