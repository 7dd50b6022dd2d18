-- Per plan, over the periods live at T: the plans' MRR(T), and the suppliers whose MRR
-- on the plan is above zero. The plan label is bounded (SPEC §4, label_buckets): the
-- top_n plans by MRR keep their name, the rest are summed as 'other' (a supplier paying
-- on two of them counts once there); a missing or blank plan is 'unknown'.
WITH live AS (
    SELECT p.supplier_id, label_value(p.plan) AS plan, p.mrr
    FROM subscription_periods AS p
    WHERE live_at(p.live_from, p.live_until, %(t)s)
),
per_plan AS (
    SELECT plan, sum(mrr) AS mrr FROM live GROUP BY plan
),
buckets AS (
    SELECT * FROM label_buckets((SELECT jsonb_object_agg(plan, mrr) FROM per_plan), %(top_n)s)
),
per_supplier AS (
    SELECT b.bucket AS plan, l.supplier_id, sum(l.mrr) AS mrr
    FROM live AS l
    JOIN buckets AS b ON b.label = l.plan
    GROUP BY b.bucket, l.supplier_id
)
SELECT plan,
       sum(mrr)::double precision AS mrr,
       count(*) FILTER (WHERE mrr > 0)::double precision AS paying_suppliers
FROM per_supplier
GROUP BY plan
ORDER BY plan;
