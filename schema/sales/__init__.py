"""Sales: orders, reservations and alerts; picking and shipping."""
