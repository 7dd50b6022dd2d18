-- Revenue at T and at M1 (SPEC §3), from revenue_totals_at (sql/views/25_supplier_mrr.sql):
-- one row per instant of the pass, the subscription periods read once for all.
SELECT n,
       mrr::double precision AS mrr,
       (12 * mrr)::double precision AS arr,
       ((mrr - mrr_m1) / nullif(mrr_m1, 0))::double precision AS growth,
       (churned_suppliers::numeric / nullif(paying_m1, 0))::double precision AS customer_churn,
       ((churn + contraction) / nullif(mrr_m1, 0))::double precision AS revenue_churn,
       (retained_mrr / nullif(mrr_m1, 0))::double precision AS net_revenue_retention,
       new::double precision AS new,
       reactivation::double precision AS reactivation,
       expansion::double precision AS expansion,
       contraction::double precision AS contraction,
       churn::double precision AS churn,
       paying::double precision AS paying_suppliers,
       (mrr / nullif(paying, 0))::double precision AS arpa
FROM revenue_totals_at(%(n)s::integer[], %(t)s::timestamptz[], %(m1)s::timestamptz[])
ORDER BY n;
