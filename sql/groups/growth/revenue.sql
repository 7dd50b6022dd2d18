-- Revenue-side growth figures at T (SPEC §6). One row. The MRR at T and at M1 and its
-- movements are revenue_totals, as revenue/summary.sql reads them, so LTV and the
-- residuals speak of the same MRR; the MRR at risk has the quiet period (T - quiet, T].
WITH totals AS (
    SELECT * FROM revenue_totals(%(t)s, %(m1)s)
),
-- Σ over plans of each plan's MRR(T): what the mrr_by_plan series add up to.
by_plan AS (
    SELECT coalesce(sum(plan_mrr), 0) AS mrr
    FROM (
        SELECT p.plan, sum(p.mrr) AS plan_mrr
        FROM subscription_periods AS p
        WHERE live_at(p.live_from, p.live_until, %(t)s)
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
)
SELECT (
           (totals.mrr / nullif(totals.paying, 0))
           / nullif(totals.churned_suppliers::numeric / nullif(totals.paying_m1, 0), 0)
       )::double precision AS ltv,
       (trials.converted::numeric / nullif(trials.ended, 0))::double precision
           AS trial_conversion,
       risk.mrr::double precision AS mrr_at_risk,
       (totals.mrr_m1 + totals.new + totals.reactivation + totals.expansion
           - totals.contraction - totals.churn - totals.mrr)::double precision
           AS residual_movements,
       (by_plan.mrr - totals.mrr)::double precision AS residual_by_plan
FROM totals CROSS JOIN by_plan CROSS JOIN trials
CROSS JOIN mrr_at_risk(%(t)s, %(at_risk_start)s) AS risk;
