-- Data-quality checks (SPEC §3), counted over the whole source tables; the
-- future-timestamp check is relative to T. Each row is left out only of the numbers it
-- would distort (see the views subscription_periods and valid_sessions).
SELECT 'subscription_negative_amount' AS check_name,
       (SELECT count(*) FROM subscriptions WHERE amount_minor < 0)::double precision AS issues
UNION ALL
SELECT 'subscription_missing_fx_rate',
       (SELECT count(*)
        FROM subscriptions AS s
        CROSS JOIN settings AS cfg
        WHERE s.currency <> cfg.reporting_currency
          AND NOT EXISTS (
              SELECT 1 FROM fx_rates AS r
              WHERE r.currency = s.currency
                AND r.valid_from <= (s.started_at AT TIME ZONE cfg.reporting_timezone)::date
          ))::double precision
UNION ALL
SELECT 'subscription_ended_before_started',
       (SELECT count(*) FROM subscriptions WHERE ended_at < started_at)::double precision
UNION ALL
SELECT 'subscription_invalid_interval',
       (SELECT count(*) FROM subscriptions
        WHERE interval_months IS NULL OR interval_months <= 0)::double precision
UNION ALL
SELECT 'session_user_not_exactly_one',
       (SELECT count(*) FROM user_sessions
        WHERE (supplier_id IS NULL) = (couple_id IS NULL))::double precision
UNION ALL
SELECT 'session_nonpositive_duration',
       (SELECT count(*) FROM user_sessions WHERE session_duration <= 0)::double precision
UNION ALL
SELECT 'invitation_accepted_before_sent',
       (SELECT count(*) FROM invitations WHERE accepted_at < sent_at)::double precision
UNION ALL
SELECT 'timestamp_in_future',
       ((SELECT count(*) FROM suppliers WHERE created_at > %(future_limit)s)
        + (SELECT count(*) FROM couples WHERE created_at > %(future_limit)s)
        + (SELECT count(*) FROM user_sessions WHERE created_at > %(future_limit)s)
        + (SELECT count(*) FROM invitations WHERE sent_at > %(future_limit)s)
       )::double precision;
