"""Sales: orders with live stock checks and reservations, backorders, picking and shipping, and
returns.

Importing the package registers the backorder allocator with inventory's posting listeners, so
every posting that frees stock serves waiting backorders, and the sales return numbers with
receiving's barcode resolution (``server.models`` imports the sales models, and with them this
package, wherever the database is used)."""

from server.sales import allocation as allocation
from server.sales import return_receiving as return_receiving
