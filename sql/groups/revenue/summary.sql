-- Revenue at T and at M1 (SPEC §3). One row.
-- Per supplier x: e = m_x(T), s = m_x(M1), and whether x paid at some instant before M1
-- (a period with mrr > 0 live on a non-empty span that starts before M1).
WITH per_supplier AS (
    SELECT p.supplier_id,
           coalesce(sum(p.mrr) FILTER (
               WHERE live_at(p.live_from, p.live_until, %(t)s)
           ), 0) AS e,
           coalesce(sum(p.mrr) FILTER (
               WHERE live_at(p.live_from, p.live_until, %(m1)s)
           ), 0) AS s,
           coalesce(bool_or(
               p.mrr > 0
               AND p.live_from < %(m1)s
               AND (p.live_until IS NULL OR p.live_from < p.live_until)
           ), false) AS paid_before_m1
    FROM subscription_periods AS p
    GROUP BY p.supplier_id
),
totals AS (
    SELECT coalesce(sum(e), 0) AS mrr,
           coalesce(sum(s), 0) AS mrr_m1,
           coalesce(sum(e) FILTER (WHERE s = 0 AND e > 0 AND NOT paid_before_m1), 0) AS new,
           coalesce(sum(e) FILTER (WHERE s = 0 AND e > 0 AND paid_before_m1), 0) AS reactivation,
           coalesce(sum(e - s) FILTER (WHERE s > 0 AND e > s), 0) AS expansion,
           coalesce(sum(s - e) FILTER (WHERE e > 0 AND e < s), 0) AS contraction,
           coalesce(sum(s) FILTER (WHERE s > 0 AND e = 0), 0) AS churn,
           count(*) FILTER (WHERE s > 0) AS paying_m1,
           count(*) FILTER (WHERE s > 0 AND e = 0) AS churned_suppliers,
           count(*) FILTER (WHERE e > 0) AS paying,
           coalesce(sum(e) FILTER (WHERE s > 0), 0) AS retained_mrr
    FROM per_supplier
)
SELECT mrr::double precision AS mrr,
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
FROM totals;
