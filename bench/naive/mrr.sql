-- MRR at T, written the plain way over the raw table: every live, out-of-trial period's
-- monthly price in pounds, at the rate of its currency on its start date.
SELECT sum(s.amount_minor::numeric / s.interval_months / 100
           * CASE WHEN s.currency = 'GBP' THEN 1
                  ELSE (SELECT r.rate FROM fx_rates AS r
                        WHERE r.currency = s.currency AND r.valid_from <= s.started_at::date
                        ORDER BY r.valid_from DESC LIMIT 1)
             END) AS mrr
FROM subscriptions AS s
WHERE s.started_at <= %(at)s::timestamptz
  AND (s.ended_at IS NULL OR s.ended_at > %(at)s::timestamptz)
  AND (s.trial_ends_at IS NULL OR s.trial_ends_at <= %(at)s::timestamptz)
