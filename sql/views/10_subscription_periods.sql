-- One row per subscription period that counts for revenue (SPEC §3), with its
-- monthly contribution in the reporting currency's major units:
--   mrr = amount_minor / interval_months / 100 x fx
-- where fx is the rate of the period's currency with the latest valid_from on or
-- before the local date of started_at (1 for the reporting currency), so a period
-- keeps one rate for its whole life. A rate that is not a positive finite number (0,
-- negative, NaN, Infinity, -Infinity, NULL) does not exist: it is never chosen, so the
-- period falls back to the latest valid rate before it, or has none (SPEC §3). NaN
-- sorts above every number in PostgreSQL (NaN > 0 is true), hence `< 'Infinity'`.
-- The period contributes at t when live_from <= t < coalesce(live_until, infinity):
-- live_from = started_at, or trial_ends_at when the trial ends later.
-- Rows left out (counted by the quality group): amount_minor < 0, no fx rate for the
-- start date, ended_at < started_at, interval_months not positive.
CREATE VIEW subscription_periods AS
SELECT s.id,
       s.supplier_id,
       s.plan,
       s.currency,
       s.started_at,
       s.trial_ends_at,
       s.ended_at,
       greatest(s.started_at, s.trial_ends_at) AS live_from,
       s.ended_at AS live_until,
       fx.rate AS fx_rate,
       s.amount_minor::numeric / s.interval_months / 100 * fx.rate AS mrr
FROM subscriptions AS s
CROSS JOIN settings AS cfg
CROSS JOIN LATERAL (
    SELECT CASE
               WHEN s.currency = cfg.reporting_currency THEN 1::numeric
               ELSE (SELECT r.rate
                     FROM fx_rates AS r
                     WHERE r.currency = s.currency
                       AND r.valid_from <= (s.started_at AT TIME ZONE cfg.reporting_timezone)::date
                       AND r.rate > 0
                       AND r.rate < 'Infinity'
                     ORDER BY r.valid_from DESC
                     LIMIT 1)
           END AS rate
) AS fx
WHERE s.amount_minor >= 0
  AND s.interval_months > 0
  AND (s.ended_at IS NULL OR s.ended_at >= s.started_at)
  AND fx.rate IS NOT NULL;
