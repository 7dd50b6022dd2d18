-- Supplier cohorts by first paying month (SPEC §6): f_x = the earliest live_from of x's
-- revenue rows with mrr > 0 and a non-empty span; the cohort is the local calendar month
-- [start, end) that holds f_x, one of the 12 months before T's local month.
-- logo retention = share of the cohort paying at T; MRR retention = Σ m_x(T) / Σ m_x(f_x).
-- A month without members has no row (both ratios would divide by zero).
WITH cohorts AS (
    SELECT c.label, c.starts, c.ends
    FROM unnest(
        %(cohort_labels)s::text[], %(cohort_starts)s::timestamptz[], %(cohort_ends)s::timestamptz[]
    ) AS c (label, starts, ends)
),
first_paid AS (
    SELECT p.supplier_id, min(p.live_from) AS f
    FROM subscription_periods AS p
    WHERE p.mrr > 0 AND (p.live_until IS NULL OR p.live_from < p.live_until)
    GROUP BY p.supplier_id
),
members AS (
    SELECT c.label, fp.supplier_id, fp.f
    FROM cohorts AS c
    JOIN first_paid AS fp ON fp.f >= c.starts AND fp.f < c.ends
),
per_member AS (
    SELECT m.label,
           m.supplier_id,
           coalesce(sum(p.mrr) FILTER (
               WHERE p.live_from <= %(t)s AND (p.live_until IS NULL OR %(t)s < p.live_until)
           ), 0) AS e,
           coalesce(sum(p.mrr) FILTER (
               WHERE p.live_from <= m.f AND (p.live_until IS NULL OR m.f < p.live_until)
           ), 0) AS first_mrr
    FROM members AS m
    JOIN subscription_periods AS p ON p.supplier_id = m.supplier_id
    GROUP BY m.label, m.supplier_id
)
SELECT label AS cohort,
       (count(*) FILTER (WHERE e > 0)::numeric / count(*))::double precision AS logo_retention,
       (sum(e) / nullif(sum(first_mrr), 0))::double precision AS mrr_retention
FROM per_member
GROUP BY label
ORDER BY label;
