-- The suppliers behind the month's MRR movements over (M1, T] (SPEC §3), the largest
-- first: business id and category only (never a name or an e-mail). Per supplier x:
-- supplier_mrr and mrr_movement, as revenue_totals classifies them for
-- groups/revenue/summary.sql. %(top)s rows per movement. Ties on the amount rank by
-- the previous MRR (at M1, larger first), then by id.
WITH moves AS (
    SELECT m.supplier_id,
           m.mrr_at_m1 AS s,
           m.mrr_at_t AS e,
           mrr_movement(m.mrr_at_m1, m.mrr_at_t, m.paid_before_m1) AS movement,
           abs(m.mrr_at_t - m.mrr_at_m1) AS amount
    FROM supplier_mrr(%(t)s, %(m1)s) AS m
),
ranked AS (
    SELECT m.*,
           row_number() OVER (PARTITION BY m.movement ORDER BY m.amount DESC, m.s DESC, m.supplier_id)
               AS rank,
           count(*) OVER (PARTITION BY m.movement) AS suppliers
    FROM moves AS m
    WHERE m.movement IS NOT NULL
)
SELECT r.movement,
       r.rank,
       r.suppliers,
       r.supplier_id,
       label_value(sp.category) AS category,
       r.amount::double precision AS amount,
       r.s::double precision AS mrr_start,
       r.e::double precision AS mrr_end
FROM ranked AS r
LEFT JOIN suppliers AS sp ON sp.id = r.supplier_id
WHERE r.rank <= %(top)s
ORDER BY r.movement, r.rank;
