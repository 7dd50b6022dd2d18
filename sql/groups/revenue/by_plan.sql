-- Per plan, over the periods live at T: the plans' MRR(T), and the suppliers whose MRR
-- on the plan is above zero. The plan label is bounded (SPEC §4, label_buckets): the
-- top_n plans by MRR keep their name, the rest are summed as 'other' (a supplier paying
-- on two of them counts once there); a missing or blank plan is 'unknown'.
--
-- At every instant of a pass (docs/spec.md, "Many instants"): a period is live at the
-- instants whose time number runs from (times before live_from) + 1 to (times before
-- live_until); with the instants ranked by their number those are a run of ranks, and
-- each (instant, live period) pair is read once.
WITH instants AS (
    SELECT i.n, i.k, row_number() OVER (ORDER BY i.k, i.n) AS r
    FROM unnest(%(n)s::integer[], %(k)s::integer[]) AS i (n, k)
),
ranks AS (
    SELECT array_agg(i.k ORDER BY i.k, i.n) AS ks FROM instants AS i
),
periods AS (
    SELECT p.supplier_id,
           label_value(p.plan) AS plan,
           p.mrr,
           width_bucket(p.live_from, %(sweep_edges)s::timestamptz[]) + 1 AS lo,
           CASE
               WHEN p.live_until IS NULL THEN cardinality(%(sweep_edges)s::timestamptz[])
               ELSE width_bucket(p.live_until, %(sweep_edges)s::timestamptz[])
           END + 1 AS hi
    FROM subscription_periods AS p
),
live AS (
    SELECT i.n, p.supplier_id, p.plan, p.mrr
    FROM periods AS p
    CROSS JOIN ranks
    CROSS JOIN LATERAL generate_series(
        width_bucket(p.lo - 1, ranks.ks) + 1, width_bucket(p.hi - 1, ranks.ks)
    ) AS g (r)
    JOIN instants AS i ON i.r = g.r
    WHERE p.lo < p.hi
),
per_plan AS (
    SELECT n, plan, sum(mrr) AS mrr FROM live GROUP BY n, plan
),
buckets AS (
    SELECT a.n, b.*
    FROM (SELECT n, jsonb_object_agg(plan, mrr) AS w FROM per_plan GROUP BY 1) AS a
    CROSS JOIN LATERAL label_buckets(a.w, %(top_n)s) AS b
),
per_supplier AS (
    SELECT l.n, b.bucket AS plan, l.supplier_id, sum(l.mrr) AS mrr
    FROM live AS l
    JOIN buckets AS b ON b.n = l.n AND b.label = l.plan
    GROUP BY l.n, b.bucket, l.supplier_id
)
SELECT n,
       plan,
       sum(mrr)::double precision AS mrr,
       count(*) FILTER (WHERE mrr > 0)::double precision AS paying_suppliers
FROM per_supplier
GROUP BY n, plan
ORDER BY n, plan;
