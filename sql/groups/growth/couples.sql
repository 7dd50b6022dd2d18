-- Registered couples at T (SPEC §3 total) by stage (SPEC §6): planning when the wedding
-- date is on or after T's local date, married when before it, unknown when NULL. Every
-- stage is exported, 0 when empty. At every instant of a pass (docs/spec.md, "Many
-- instants"): a couple is registered at the instants numbered from (times before
-- created_at) + 1 to (times before deleted_at); it is planning at the numbers whose local
-- date (sweep_dates, in the same order) is on or before its wedding date, the first
-- width_bucket(wedding_date, sweep_dates) of them, and married after.
WITH instants AS (
    SELECT i.n, i.k FROM unnest(%(n)s::integer[], %(k)s::integer[]) AS i (n, k)
),
spans AS (
    SELECT co.wedding_date,
           width_bucket(co.created_at, %(sweep_edges)s::timestamptz[]) + 1 AS lo,
           CASE
               WHEN co.deleted_at IS NULL THEN cardinality(%(sweep_edges)s::timestamptz[])
               ELSE width_bucket(co.deleted_at, %(sweep_edges)s::timestamptz[])
           END + 1 AS hi,
           width_bucket(co.wedding_date, %(sweep_dates)s::date[]) + 1 AS married_from
    FROM couples AS co
),
weighted AS (
    SELECT sp.wedding_date IS NULL AS unknown, sp.lo, sp.hi, sp.married_from, count(*) AS w
    FROM spans AS sp
    WHERE sp.lo < sp.hi
    GROUP BY 1, 2, 3, 4
),
staged AS (
    SELECT 'unknown' AS stage, wt.lo, wt.hi, wt.w FROM weighted AS wt WHERE wt.unknown
    UNION ALL
    SELECT 'planning', wt.lo, least(wt.hi, wt.married_from), wt.w
    FROM weighted AS wt
    WHERE NOT wt.unknown
    UNION ALL
    SELECT 'married', greatest(wt.lo, wt.married_from), wt.hi, wt.w
    FROM weighted AS wt
    WHERE NOT wt.unknown
),
binned AS (
    SELECT st.stage, e.at, sum(e.delta) AS delta
    FROM staged AS st
    CROSS JOIN LATERAL (VALUES (st.lo, st.w), (st.hi, -st.w)) AS e (at, delta)
    WHERE st.lo < st.hi
    GROUP BY 1, 2
)
SELECT i.n, stages.stage, coalesce(sum(b.delta), 0)::double precision AS couples
FROM instants AS i
CROSS JOIN (VALUES ('planning'), ('married'), ('unknown')) AS stages (stage)
LEFT JOIN binned AS b ON b.stage = stages.stage AND b.at <= i.k
GROUP BY 1, 2
ORDER BY 1, 2;
