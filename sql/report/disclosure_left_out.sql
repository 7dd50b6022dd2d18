-- The subscription rows the data-quality checks of SPEC §3 leave out of every revenue
-- number, in money: per check and currency, the rows flagged over the whole table (the
-- same conditions as groups/quality/checks.sql, so the counts per check add up to
-- execmetrics_data_quality_issues{check}), those of them that would be live at T
-- (started, out of trial, not ended), and the monthly amount of those, in their own
-- currency's major units (NULL for a row without a positive interval: it has no
-- monthly amount). A row failing two checks is listed under each.
WITH flagged AS (
    SELECT c.check_name,
           s.currency,
           s.amount_minor,
           s.interval_months,
           greatest(s.started_at, s.trial_ends_at) <= %(t)s
               AND (s.ended_at IS NULL OR %(t)s < s.ended_at) AS live
    FROM subscriptions AS s
    CROSS JOIN settings AS cfg
    CROSS JOIN LATERAL (VALUES
        ('subscription_negative_amount', s.amount_minor < 0),
        ('subscription_missing_fx_rate',
            s.currency <> cfg.reporting_currency
            AND NOT EXISTS (
                SELECT 1 FROM fx_rates AS r
                WHERE r.currency = s.currency
                  AND r.valid_from <= (s.started_at AT TIME ZONE cfg.reporting_timezone)::date
                  AND r.rate > 0
                  AND r.rate < 'Infinity'
            )),
        ('subscription_ended_before_started', s.ended_at < s.started_at),
        ('subscription_invalid_interval', s.interval_months IS NULL OR s.interval_months <= 0)
    ) AS c (check_name, hit)
    WHERE c.hit
)
SELECT check_name,
       currency,
       count(*) AS periods,
       count(*) FILTER (WHERE live) AS live_periods,
       sum(amount_minor::numeric / interval_months / 100)
           FILTER (WHERE live AND interval_months > 0) AS monthly_amount
FROM flagged
GROUP BY check_name, currency
ORDER BY check_name, currency;
