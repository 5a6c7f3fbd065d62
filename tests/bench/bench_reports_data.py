"""A year of movements over the demo data for ``bench_reports.py``, built in PostgreSQL by
set-based ``INSERT ... SELECT`` over ``generate_series`` (no row leaves the server).

The year ends yesterday. Per day about 66 purchase orders of 5 lines and 165 sales orders of 4
lines; products drawn at random from the 100,000. Purchase: an order line at the supplier item's
price ± 10 % (so each product is received at varying prices), confirmed for 7 days out and
requested for 6; one receipt 3–11 days after the order (some late), and for one order in ten a
first receipt of 70 % and a second of the rest 10 days later; QC products go to ``pending_qc``
and an inspection passes them, one in 20 fails a fifth of the quantity, one in 30 is accepted on
concession; a supplier invoice per order at the order price, one line in 20 at +2 %.
Sales: an order line at list price ± 5 % with the expected cost of the supplier price; one line
in 20 backordered (40 % short, with its ``SHORTAGE`` alert) and shipped only in part; 2 % of
orders cancelled, the last 3 days' orders not shipped yet; the rest reserved, picked and shipped
1–4 days after the order, one shipment per order, with ledger rows for each step (the shipment's
rows carry the COGS at the cost received ± 3 %). A customer invoice per shipment (13 % VAT, due
in 30 days); nine in ten invoices due before today are paid in full 10–60 days after the invoice,
one in 20 half paid.
"""

from __future__ import annotations

import time

import psycopg

from tests.bench.bench_receiving import libpq

DAYS = 365
PURCHASE_ORDERS = 24_000
PURCHASE_LINES = 5
SALES_ORDERS = 60_000
SALES_LINES = 4

STEPS: list[tuple[str, str]] = [
    ("setup", f"""
SELECT setseed(0.2026);
CREATE TEMP TABLE pick_product AS
  SELECT row_number() OVER (ORDER BY p.id) AS n, p.id, p.qc_required, p.list_price,
         coalesce(si.price, p.list_price * 0.6) AS cost, si.supplier_id
  FROM product p LEFT JOIN LATERAL (
    SELECT price, supplier_id FROM supplier_item WHERE product_id = p.id
    ORDER BY preferred DESC, id LIMIT 1) si ON true;
CREATE TEMP TABLE stage AS
  SELECT w.id AS warehouse_id,
         (SELECT id FROM location WHERE warehouse_id = w.id AND type = 'storage'
          ORDER BY code LIMIT 1) AS location_id,
         (SELECT id FROM location WHERE warehouse_id = w.id AND type = 'receiving'
          ORDER BY code LIMIT 1) AS receiving_id,
         row_number() OVER (ORDER BY w.id) AS n
  FROM warehouse w;
CREATE TEMP TABLE actor AS SELECT
  (SELECT id FROM app_user WHERE username = 'admin') AS admin_id,
  (SELECT id FROM app_user WHERE username = 'qc') AS qc_id,
  current_date - {DAYS} AS day0, (SELECT count(*) FROM pick_product) AS products;
"""),
    ("purchase orders", f"""
INSERT INTO purchase_order (number, supplier_id, warehouse_id, state, currency, total_amount,
  version, notes, created_by_id, order_date, approved_at, sent_at, created_at, updated_at)
SELECT 'BPO' || lpad(i::text, 6, '0'),
       (SELECT id FROM supplier ORDER BY id OFFSET (i % (SELECT count(*) FROM supplier)) LIMIT 1),
       (SELECT warehouse_id FROM stage WHERE n = 1 + i % 3), 'received', 'CNY', 0, 1, '',
       a.admin_id, a.day0 + (i % {DAYS}), a.day0 + (i % {DAYS}), a.day0 + (i % {DAYS}),
       a.day0 + (i % {DAYS}), a.day0 + (i % {DAYS})
FROM generate_series(1, {PURCHASE_ORDERS}) i, actor a;
INSERT INTO purchase_order_line (order_id, line_no, product_id, quantity, unit_price,
  requested_date, confirmed_quantity, confirmed_date, confirmation_version, shipped_quantity,
  received_quantity, accepted_quantity, rejected_quantity, closed)
SELECT o.id, l, p.id, q, round(p.cost * (0.9 + random()::numeric * 0.2), 2), o.order_date + 6, q,
       o.order_date + 7, 1, 0, q, q, 0, true
FROM purchase_order o CROSS JOIN generate_series(1, {PURCHASE_LINES}) l
CROSS JOIN LATERAL (SELECT 10 + floor(random()::numeric * 190)::int + 0 * l AS q,
                           1 + floor(random()::numeric * (SELECT products FROM actor))::int
                           + 0 * o.id AS n
                   ) r
JOIN pick_product p ON p.n = r.n
WHERE o.number LIKE 'BPO%';
UPDATE purchase_order o SET total_amount = t.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM purchase_order_line
      GROUP BY order_id) t WHERE t.order_id = o.id;
"""),
    ("receipts", """
INSERT INTO receipt (number, order_id, supplier_id, warehouse_id, location_id, document_scan,
  received_by_id, received_at)
SELECT 'BGR' || substr(o.number, 4) || '-' || k, o.id, o.supplier_id, o.warehouse_id,
       s.receiving_id, '', a.admin_id,
       least(o.order_date + 3 + floor(random()::numeric * 9)::int + (k - 1) * 10
             + interval '10 hours',
             now() - interval '1 hour')
FROM purchase_order o JOIN stage s ON s.warehouse_id = o.warehouse_id CROSS JOIN actor a
CROSS JOIN generate_series(1, 2) k
WHERE o.number LIKE 'BPO%' AND (k = 1 OR o.id % 10 = 0);
INSERT INTO receipt_line (receipt_id, line_no, order_line_id, product_id, quantity, unit_cost,
  lot, serials, bucket, confirmed_date, requested_date)
SELECT r.id, l.line_no, l.id, l.product_id,
       CASE WHEN o.id % 10 <> 0 THEN l.quantity
            WHEN r.number LIKE '%-1' THEN round(l.quantity * 0.7)
            ELSE l.quantity - round(l.quantity * 0.7) END,
       l.unit_price, '', '[]',
       CASE WHEN p.qc_required THEN 'pending_qc' ELSE 'available' END,
       l.confirmed_date, l.requested_date
FROM receipt r JOIN purchase_order o ON o.id = r.order_id
JOIN purchase_order_line l ON l.order_id = o.id JOIN product p ON p.id = l.product_id
WHERE r.number LIKE 'BGR%';
"""),
    ("inspections", """
INSERT INTO warehouse_task (kind, status, warehouse_id, product_id, lot, location_id, bucket,
  quantity, done_quantity, receipt_line_id, document_number, created_at, completed_at)
SELECT 'qc', 'done', r.warehouse_id, rl.product_id, '', r.location_id, 'pending_qc',
       rl.quantity, rl.quantity, rl.id, r.number, r.received_at, r.received_at + interval '2 hours'
FROM receipt_line rl JOIN receipt r ON r.id = rl.receipt_id
WHERE r.number LIKE 'BGR%' AND rl.bucket = 'pending_qc';
INSERT INTO inspection (task_id, receipt_line_id, result, accepted_quantity, rejected_quantity,
  rejected_location_id, notes, inspector_id, decided_at)
SELECT t.id, t.receipt_line_id, v.result,
       t.quantity - v.rejected, v.rejected, NULL, '', a.qc_id, t.completed_at
FROM warehouse_task t CROSS JOIN actor a
CROSS JOIN LATERAL (SELECT CASE WHEN t.id % 20 = 0 THEN 'fail' WHEN t.id % 30 = 0
                                THEN 'concession' ELSE 'pass' END AS result,
                           CASE WHEN t.id % 20 = 0 THEN round(t.quantity / 5) ELSE 0 END
                           AS rejected) v
WHERE t.kind = 'qc' AND t.document_number LIKE 'BGR%';
UPDATE purchase_order_line l SET accepted_quantity = l.quantity - i.rejected,
  rejected_quantity = i.rejected
FROM (SELECT rl.order_line_id, sum(i.rejected_quantity) AS rejected
      FROM inspection i JOIN receipt_line rl ON rl.id = i.receipt_line_id
      GROUP BY rl.order_line_id) i WHERE i.order_line_id = l.id;
"""),
    ("purchase ledger", """
INSERT INTO stock_ledger (posting_id, product_id, warehouse_id, from_bucket, to_bucket,
  from_location_id, to_location_id, lot, quantity, unit_cost, value, document_type,
  document_number, document_line, actor_user_id, posted_at)
SELECT 'bpo' || o.id, l.product_id, o.warehouse_id, NULL, 'on_order', NULL::bigint,
       NULL::bigint, '', l.quantity,
       NULL::numeric, NULL::numeric, 'PO', o.number, l.line_no, o.created_by_id, o.approved_at
FROM purchase_order_line l JOIN purchase_order o ON o.id = l.order_id
WHERE o.number LIKE 'BPO%'
UNION ALL
SELECT 'bgr' || r.id, rl.product_id, r.warehouse_id, 'on_order', rl.bucket, NULL,
       r.location_id, '',
       rl.quantity, rl.unit_cost, rl.quantity * rl.unit_cost, 'GR', r.number, rl.line_no,
       r.received_by_id, r.received_at
FROM receipt_line rl JOIN receipt r ON r.id = rl.receipt_id WHERE r.number LIKE 'BGR%'
UNION ALL
SELECT 'bqc' || i.id, rl.product_id, r.warehouse_id, 'pending_qc', m.bucket, r.location_id,
       CASE WHEN m.bucket = 'available' THEN s.location_id ELSE s.receiving_id END, '',
       m.quantity, rl.unit_cost, m.quantity * rl.unit_cost, 'QC', r.number, rl.line_no,
       i.inspector_id, i.decided_at
FROM inspection i JOIN receipt_line rl ON rl.id = i.receipt_line_id
JOIN receipt r ON r.id = rl.receipt_id JOIN stage s ON s.warehouse_id = r.warehouse_id
CROSS JOIN LATERAL (VALUES ('available', i.accepted_quantity),
                           ('rejected', i.rejected_quantity)) m(bucket, quantity)
WHERE r.number LIKE 'BGR%' AND m.quantity > 0;
"""),
    ("supplier invoices", """
INSERT INTO supplier_invoice (supplier_id, invoice_number, invoice_date, currency, subtotal, tax,
  total, state, created_by_id, created_at, version)
SELECT o.supplier_id, 'INV-' || o.number, o.order_date + 14, 'CNY', o.total_amount,
       round(o.total_amount * 0.13, 2), round(o.total_amount * 1.13, 2),
       CASE WHEN o.id % 4 = 0 THEN 'variance' ELSE 'approved' END, o.created_by_id,
       o.order_date + 14, 1
FROM purchase_order o WHERE o.number LIKE 'BPO%';
INSERT INTO supplier_invoice_line (invoice_id, line_no, order_line_id, quantity, unit_price,
  ordered_quantity, accepted_quantity, order_price, result, price_variance, quantity_variance)
SELECT si.id, l.line_no, l.id, l.quantity, v.price, l.quantity, l.accepted_quantity,
       l.unit_price,
       CASE WHEN v.price <> l.unit_price THEN 'price_variance'
            WHEN l.quantity > l.accepted_quantity THEN 'quantity_variance' ELSE 'matched' END,
       (v.price - l.unit_price) * l.quantity, l.quantity - l.accepted_quantity
FROM supplier_invoice si JOIN purchase_order o ON si.invoice_number = 'INV-' || o.number
JOIN purchase_order_line l ON l.order_id = o.id
CROSS JOIN LATERAL (SELECT CASE WHEN l.id % 20 = 0 THEN round(l.unit_price * 1.02, 2)
                                ELSE l.unit_price END AS price) v;
"""),
    ("sales orders", f"""
INSERT INTO sales_order (number, customer_id, warehouse_id, region, salesperson_id, state,
  shortage_policy, currency, total_amount, version, notes, created_by_id, order_date,
  cancelled_at, created_at, updated_at)
SELECT 'BSO' || lpad(i::text, 6, '0'), c.id, s.warehouse_id, c.region, c.salesperson_id,
       CASE WHEN i % 50 = 0 THEN 'cancelled' ELSE 'open' END, 'backorder', 'CNY', 0, 1, '',
       a.admin_id, a.day0 + (i % {DAYS}),
       CASE WHEN i % 50 = 0 THEN a.day0 + (i % {DAYS}) + interval '12 hours' END,
       a.day0 + (i % {DAYS}) + interval '9 hours', a.day0 + (i % {DAYS}) + interval '9 hours'
FROM generate_series(1, {SALES_ORDERS}) i CROSS JOIN actor a
JOIN LATERAL (SELECT id, region, salesperson_id FROM customer
              ORDER BY id OFFSET (i * 7) % (SELECT count(*) FROM customer) LIMIT 1) c ON true
JOIN stage s ON s.n = 1 + i % 3;
CREATE TEMP TABLE purchased AS
  SELECT row_number() OVER (ORDER BY id) AS n, product_id FROM purchase_order_line;
INSERT INTO sales_order_line (order_id, line_no, product_id, quantity, unit_price,
  requested_date, reserved_quantity, backordered_quantity, picked_quantity, shipped_quantity,
  expected_unit_cost)
SELECT o.id, l, p.id, q, round(p.list_price * (0.95 + random()::numeric * 0.1), 2),
       o.order_date + 3,
       0, CASE WHEN shipping AND short THEN q - round(q * 0.6) ELSE 0 END, 0,
       CASE WHEN NOT shipping THEN 0 WHEN short THEN round(q * 0.6) ELSE q END, p.cost
FROM sales_order o CROSS JOIN generate_series(1, {SALES_LINES}) l
CROSS JOIN LATERAL (
  SELECT 1 + floor(random()::numeric * 50)::int + 0 * l AS q,
         1 + floor(random()::numeric * (SELECT count(*) FROM purchased))::int + 0 * o.id AS n,
         (o.state <> 'cancelled' AND o.order_date < current_date - 3) AS shipping,
         ((o.id * 4 + l) % 20 = 0) AS short) r
JOIN purchased b ON b.n = r.n JOIN pick_product p ON p.id = b.product_id
WHERE o.number LIKE 'BSO%';
UPDATE sales_order o SET total_amount = t.total,
  state = CASE WHEN o.state = 'cancelled' THEN 'cancelled' WHEN t.shipped = 0 THEN 'open'
               WHEN t.backordered > 0 THEN 'partially_shipped' ELSE 'shipped' END
FROM (SELECT order_id, sum(quantity * unit_price) AS total, sum(shipped_quantity) AS shipped,
             sum(backordered_quantity) AS backordered
      FROM sales_order_line GROUP BY order_id) t WHERE t.order_id = o.id;
INSERT INTO event (topic, kind, document_type, document_number, payload, created_at)
SELECT 'sales_alert', 'SHORTAGE', 'SO', o.number,
       json_build_object('kind', 'SHORTAGE', 'orderNumber', o.number, 'lineNo', l.line_no),
       o.created_at
FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id
WHERE o.number LIKE 'BSO%' AND l.backordered_quantity > 0;
"""),
    ("shipments", """
INSERT INTO pick_list (number, warehouse_id, state, version, created_by_id, created_at)
SELECT 'BPK' || substr(o.number, 4), o.warehouse_id, 'shipped', 1, o.created_by_id, o.created_at
FROM sales_order o WHERE o.number LIKE 'BSO%' AND o.state IN ('shipped', 'partially_shipped');
INSERT INTO shipment (number, pick_list_id, warehouse_id, carrier, tracking_number,
  shipped_by_id, shipped_at)
SELECT 'BSH' || substr(pl.number, 4), pl.id, pl.warehouse_id, 'SF', '', pl.created_by_id,
       least(pl.created_at + (1 + floor(random()::numeric * 4)::int) * interval '1 day',
             now() - interval '1 hour')
FROM pick_list pl WHERE pl.number LIKE 'BPK%';
UPDATE sales_order o SET shipped_at = sh.shipped_at
FROM shipment sh WHERE sh.number = 'BSH' || substr(o.number, 4);
INSERT INTO shipment_line (shipment_id, order_line_id, product_id, lot, quantity, unit_price,
  unit_cost)
SELECT sh.id, l.id, l.product_id, '', l.shipped_quantity, l.unit_price,
       round(l.expected_unit_cost * (0.97 + random()::numeric * 0.06), 4)
FROM shipment sh JOIN sales_order o ON 'BSH' || substr(o.number, 4) = sh.number
JOIN sales_order_line l ON l.order_id = o.id
WHERE sh.number LIKE 'BSH%' AND l.shipped_quantity > 0 ORDER BY sh.id, l.line_no;
"""),
    ("sales ledger", """
INSERT INTO stock_ledger (posting_id, product_id, warehouse_id, from_bucket, to_bucket,
  from_location_id, to_location_id, lot, quantity, unit_cost, value, document_type,
  document_number, document_line, actor_user_id, posted_at)
SELECT 'bso' || o.id, l.product_id, o.warehouse_id, 'available', 'reserved', s.location_id,
       s.location_id, '', l.shipped_quantity, NULL::numeric, NULL::numeric, 'SO', o.number,
       l.line_no,
       o.created_by_id, o.created_at
FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id
JOIN stage s ON s.warehouse_id = o.warehouse_id
WHERE o.number LIKE 'BSO%' AND l.shipped_quantity > 0
UNION ALL
SELECT 'bbo' || o.id, l.product_id, o.warehouse_id, NULL, 'backordered', NULL::bigint,
       NULL::bigint, '',
       l.backordered_quantity, NULL, NULL, 'SO', o.number, l.line_no, o.created_by_id,
       o.created_at
FROM sales_order_line l JOIN sales_order o ON o.id = l.order_id
WHERE o.number LIKE 'BSO%' AND l.backordered_quantity > 0
UNION ALL
SELECT 'bpk' || sh.id, sl.product_id, sh.warehouse_id, 'reserved', 'picked', s.location_id,
       s.location_id, '', sl.quantity, NULL, NULL, 'PK', 'BPK' || substr(sh.number, 4),
       ol.line_no, sh.shipped_by_id, sh.shipped_at - interval '2 hours'
FROM shipment_line sl JOIN shipment sh ON sh.id = sl.shipment_id
JOIN sales_order_line ol ON ol.id = sl.order_line_id
JOIN stage s ON s.warehouse_id = sh.warehouse_id WHERE sh.number LIKE 'BSH%'
UNION ALL
SELECT 'bsh' || sh.id, sl.product_id, sh.warehouse_id, 'picked', NULL, s.location_id, NULL, '',
       sl.quantity, sl.unit_cost, sl.quantity * sl.unit_cost, 'SH', sh.number,
       row_number() OVER (PARTITION BY sl.shipment_id ORDER BY sl.id)::int,
       sh.shipped_by_id, sh.shipped_at
FROM shipment_line sl JOIN shipment sh ON sh.id = sl.shipment_id
JOIN stage s ON s.warehouse_id = sh.warehouse_id WHERE sh.number LIKE 'BSH%';
UPDATE shipment_line sl SET stock_ledger_id = posted.ledger_id, cogs = posted.value
FROM (SELECT n.id AS line_id, l.id AS ledger_id, l.value
      FROM (SELECT id, shipment_id, row_number() OVER (PARTITION BY shipment_id ORDER BY id) AS
            place FROM shipment_line) n
      JOIN shipment sh ON sh.id = n.shipment_id
      JOIN stock_ledger l ON l.document_type = 'SH' AND l.document_number = sh.number
       AND l.document_line = n.place
      WHERE sh.number LIKE 'BSH%') posted
WHERE sl.id = posted.line_id;
"""),
    ("customer invoices and payments", """
INSERT INTO customer_invoice (number, shipment_id, customer_id, salesperson_id, region,
  invoice_date, due_date, currency, subtotal, tax, total, paid_amount, state, created_at)
SELECT 'BCI' || substr(sh.number, 4), sh.id, o.customer_id, o.salesperson_id, o.region,
       sh.shipped_at::date, sh.shipped_at::date + 30, 'CNY', t.subtotal,
       round(t.subtotal * 0.13, 2), t.subtotal + round(t.subtotal * 0.13, 2), 0, 'open',
       sh.shipped_at + interval '1 hour'
FROM shipment sh JOIN sales_order o ON 'BSH' || substr(o.number, 4) = sh.number
JOIN (SELECT shipment_id, round(sum(quantity * unit_price), 2) AS subtotal
      FROM shipment_line GROUP BY shipment_id) t ON t.shipment_id = sh.id
WHERE sh.number LIKE 'BSH%';
INSERT INTO customer_invoice_line (invoice_id, line_no, shipment_line_id, product_id, quantity,
  unit_price, amount)
SELECT ci.id, row_number() OVER (PARTITION BY ci.id ORDER BY sl.id), sl.id, sl.product_id,
       sl.quantity, sl.unit_price, sl.quantity * sl.unit_price
FROM customer_invoice ci JOIN shipment_line sl ON sl.shipment_id = ci.shipment_id
WHERE ci.number LIKE 'BCI%';
INSERT INTO payment (number, customer_id, amount, received_on, reference, recorded_by_id,
  recorded_at)
SELECT 'BPY' || substr(ci.number, 4), ci.customer_id,
       CASE WHEN ci.id % 20 = 0 THEN round(ci.total / 2, 2) ELSE ci.total END, v.received_on,
       '', a.admin_id, v.received_on + interval '15 hours'
FROM customer_invoice ci CROSS JOIN actor a
CROSS JOIN LATERAL (SELECT ci.invoice_date + 10 + floor(random()::numeric * 50)::int
                    AS received_on) v
WHERE ci.number LIKE 'BCI%' AND ci.due_date < current_date AND ci.id % 10 <> 0
  AND v.received_on < current_date;
INSERT INTO payment_allocation (payment_id, invoice_id, amount)
SELECT p.id, ci.id, p.amount FROM payment p
JOIN customer_invoice ci ON ci.number = 'BCI' || substr(p.number, 4)
WHERE p.number LIKE 'BPY%';
UPDATE customer_invoice ci SET paid_amount = p.amount,
  state = CASE WHEN p.amount = ci.total THEN 'paid' ELSE 'partially_paid' END
FROM payment p WHERE p.number = 'BPY' || substr(ci.number, 4);
"""),
    ("analyze", "ANALYZE"),
]


def build_year(url: str) -> list[tuple[str, float]]:
    """Run the steps in one transaction, then vacuum; each step's wall time.

    The vacuum leaves the tables as a year of autovacuum would (hint bits set, the updated
    rows' old versions gone, the visibility map filled): otherwise the first reports pay for
    that clean-up and the index-only scans read the heap."""
    timings = []
    with psycopg.connect(libpq(url)) as conn:
        for name, sql in STEPS:
            started = time.perf_counter()
            conn.execute(sql)
            timings.append((name, time.perf_counter() - started))
        conn.commit()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM")
        timings.append(("vacuum", time.perf_counter() - started))
    return timings


def volumes(url: str) -> dict[str, int]:
    tables = ("stock_ledger", "purchase_order_line", "receipt_line", "inspection",
              "supplier_invoice_line", "sales_order_line", "shipment_line",
              "customer_invoice", "payment_allocation", "event")
    with psycopg.connect(libpq(url)) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in tables}
