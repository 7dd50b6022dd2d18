-- MRR(T) per plan, over the plans with at least one period live at T; and the
-- suppliers whose MRR on that plan is above zero.
WITH live AS (
    SELECT p.supplier_id, p.plan, p.mrr
    FROM subscription_periods AS p
    WHERE p.live_from <= %(t)s AND (p.live_until IS NULL OR %(t)s < p.live_until)
),
per_supplier AS (
    SELECT plan, supplier_id, sum(mrr) AS mrr FROM live GROUP BY plan, supplier_id
)
SELECT plan,
       sum(mrr)::double precision AS mrr,
       count(*) FILTER (WHERE mrr > 0)::double precision AS paying_suppliers
FROM per_supplier
GROUP BY plan
ORDER BY plan;
