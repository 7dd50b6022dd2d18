-- Data-quality checks (SPEC §3), counted over the whole source tables (one pass per
-- table, the sessions through their per-day rollup); the future-timestamp check is
-- relative to T. Each row is left out only of
-- the numbers it would distort: see the views subscription_periods and valid_sessions
-- and the viral group's acceptance rule.
WITH subs AS (
    SELECT count(*) FILTER (WHERE s.amount_minor < 0) AS negative_amount,
           count(*) FILTER (
               WHERE s.currency <> cfg.reporting_currency
                 AND NOT EXISTS (
                     SELECT 1 FROM fx_rates AS r
                     WHERE r.currency = s.currency
                       AND r.valid_from <= (s.started_at AT TIME ZONE cfg.reporting_timezone)::date
                       AND r.rate > 0
                       AND r.rate < 'Infinity'
                 )
           ) AS missing_fx_rate,
           count(*) FILTER (WHERE s.ended_at < s.started_at) AS ended_before_started,
           count(*) FILTER (
               WHERE s.interval_months IS NULL OR s.interval_months <= 0
           ) AS invalid_interval
    FROM subscriptions AS s
    CROSS JOIN settings AS cfg
),
rates AS (
    -- not a positive finite number; NaN > 0 is true in PostgreSQL, so bound it above
    SELECT count(*) FILTER (
               WHERE NOT coalesce(r.rate > 0 AND r.rate < 'Infinity', false)
           ) AS invalid
    FROM fx_rates AS r
),
-- Sessions: the per-day rollup (sql/views/35_session_quality.sql) for the sessions the
-- last refresh saw, plus the sessions above its high-water mark, counted here.
seen AS (
    SELECT coalesce(max(r.high_water_id), 0) AS high_water_id
    FROM rollup_state AS r
    WHERE r.source_table = 'user_sessions'
),
sessions AS (
    SELECT rolled.not_exactly_one + fresh.not_exactly_one AS not_exactly_one,
           rolled.nonpositive_duration + fresh.nonpositive_duration AS nonpositive_duration
    FROM (
        SELECT coalesce(sum(q.not_exactly_one), 0) AS not_exactly_one,
               coalesce(sum(q.nonpositive_duration), 0) AS nonpositive_duration
        FROM session_quality_days AS q
    ) AS rolled
    CROSS JOIN (
        SELECT count(*) FILTER (
                   WHERE (s.supplier_id IS NULL) = (s.couple_id IS NULL)
               ) AS not_exactly_one,
               count(*) FILTER (WHERE s.session_duration <= 0) AS nonpositive_duration
        FROM user_sessions AS s
        WHERE s.id > (SELECT seen.high_water_id FROM seen)
    ) AS fresh
),
invites AS (
    SELECT count(*) FILTER (WHERE accepted_at < sent_at) AS accepted_before_sent
    FROM invitations
),
future AS (
    SELECT (SELECT count(*) FROM suppliers WHERE created_at > %(future_limit)s)
         + (SELECT count(*) FROM couples WHERE created_at > %(future_limit)s)
         + (SELECT count(*) FROM user_sessions WHERE created_at > %(future_limit)s)
         + (SELECT count(*) FROM invitations WHERE sent_at > %(future_limit)s) AS rows
)
SELECT check_name, issues::double precision AS issues
FROM subs, rates, sessions, invites, future,
LATERAL (VALUES
    ('subscription_negative_amount', subs.negative_amount),
    ('subscription_missing_fx_rate', subs.missing_fx_rate),
    ('subscription_ended_before_started', subs.ended_before_started),
    ('subscription_invalid_interval', subs.invalid_interval),
    ('fx_rate_invalid', rates.invalid),
    ('session_user_not_exactly_one', sessions.not_exactly_one),
    ('session_nonpositive_duration', sessions.nonpositive_duration),
    ('invitation_accepted_before_sent', invites.accepted_before_sent),
    ('timestamp_in_future', future.rows)
) AS checks (check_name, issues);
