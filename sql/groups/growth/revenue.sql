-- Revenue-side growth figures at T (SPEC §6). One row.
-- Per supplier x: e = m_x(T), s = m_x(M1), and whether x paid at some instant before
-- M1, read from the revenue rows of subscription_periods exactly as revenue/summary.sql
-- reads them, so LTV and the residuals speak of the same MRR.
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
           count(*) FILTER (WHERE e > 0) AS paying
    FROM per_supplier
),
-- Σ over plans of each plan's MRR(T): what the mrr_by_plan series add up to.
by_plan AS (
    SELECT coalesce(sum(plan_mrr), 0) AS mrr
    FROM (
        SELECT p.plan, sum(p.mrr) AS plan_mrr
        FROM subscription_periods AS p
        WHERE p.live_from <= %(t)s AND (p.live_until IS NULL OR %(t)s < p.live_until)
        GROUP BY p.plan
    ) AS plans
),
-- Revenue rows whose trial ends in (M1, T] (and after the row starts): converted when
-- the row goes on past the trial's end.
trials AS (
    SELECT count(*) AS ended,
           count(*) FILTER (WHERE p.ended_at IS NULL OR p.ended_at > p.trial_ends_at)
               AS converted
    FROM subscription_periods AS p
    WHERE p.mrr > 0
      AND p.trial_ends_at > %(m1)s AND p.trial_ends_at <= %(t)s
      AND p.trial_ends_at > p.started_at
),
-- Suppliers heard from in the quiet period (T - quiet, T]: a valid session, or an
-- invitation sent.
heard_from AS (
    SELECT s.user_id AS supplier_id
    FROM valid_sessions AS s
    WHERE s.user_type = 'supplier'
      AND s.created_at > %(at_risk_start)s AND s.created_at <= %(t)s
    UNION
    SELECT i.supplier_id
    FROM invitations AS i
    WHERE i.sent_at > %(at_risk_start)s AND i.sent_at <= %(t)s
),
at_risk AS (
    SELECT coalesce(sum(ps.e), 0) AS mrr
    FROM per_supplier AS ps
    WHERE ps.e > 0
      AND NOT EXISTS (SELECT FROM heard_from AS h WHERE h.supplier_id = ps.supplier_id)
)
SELECT (
           (totals.mrr / nullif(totals.paying, 0))
           / nullif(totals.churned_suppliers::numeric / nullif(totals.paying_m1, 0), 0)
       )::double precision AS ltv,
       (trials.converted::numeric / nullif(trials.ended, 0))::double precision
           AS trial_conversion,
       at_risk.mrr::double precision AS mrr_at_risk,
       (totals.mrr_m1 + totals.new + totals.reactivation + totals.expansion
           - totals.contraction - totals.churn - totals.mrr)::double precision
           AS residual_movements,
       (by_plan.mrr - totals.mrr)::double precision AS residual_by_plan
FROM totals CROSS JOIN by_plan CROSS JOIN trials CROSS JOIN at_risk;
