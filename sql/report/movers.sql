-- The suppliers behind the month's MRR movements over (M1, T] (SPEC §3), the largest
-- first: business id and category only (never a name or an e-mail). Per supplier x:
-- e = m_x(T), s = m_x(M1), and whether x paid at some instant before M1, exactly as
-- groups/revenue/summary.sql classifies them. %(top)s rows per movement.
WITH per_supplier AS (
    SELECT p.supplier_id,
           coalesce(sum(p.mrr) FILTER (
               WHERE p.live_from <= %(t)s AND (p.live_until IS NULL OR %(t)s < p.live_until)
           ), 0) AS e,
           coalesce(sum(p.mrr) FILTER (
               WHERE p.live_from <= %(m1)s AND (p.live_until IS NULL OR %(m1)s < p.live_until)
           ), 0) AS s,
           coalesce(bool_or(
               p.mrr > 0
               AND p.live_from < %(m1)s
               AND (p.live_until IS NULL OR p.live_from < p.live_until)
           ), false) AS paid_before_m1
    FROM subscription_periods AS p
    GROUP BY p.supplier_id
),
moves AS (
    SELECT supplier_id, s, e,
           CASE
               WHEN s = 0 AND e > 0 AND NOT paid_before_m1 THEN 'new'
               WHEN s = 0 AND e > 0 THEN 'reactivation'
               WHEN s > 0 AND e > s THEN 'expansion'
               WHEN e > 0 AND e < s THEN 'contraction'
               WHEN s > 0 AND e = 0 THEN 'churn'
           END AS movement,
           CASE
               WHEN s = 0 THEN e
               WHEN e = 0 THEN s
               ELSE abs(e - s)
           END AS amount
    FROM per_supplier
),
ranked AS (
    SELECT m.*,
           row_number() OVER (PARTITION BY m.movement ORDER BY m.amount DESC, m.supplier_id)
               AS rank,
           count(*) OVER (PARTITION BY m.movement) AS suppliers
    FROM moves AS m
    WHERE m.movement IS NOT NULL
)
SELECT r.movement,
       r.rank,
       r.suppliers,
       r.supplier_id,
       coalesce(nullif(btrim(sp.category), ''), %(unknown)s) AS category,
       r.amount::double precision AS amount,
       r.s::double precision AS mrr_start,
       r.e::double precision AS mrr_end
FROM ranked AS r
LEFT JOIN suppliers AS sp ON sp.id = r.supplier_id
WHERE r.rank <= %(top)s
ORDER BY r.movement, r.rank;
