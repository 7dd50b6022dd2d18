-- Data-quality checks (SPEC §3), counted over the whole source tables (one pass per
-- table, the sessions through their per-day rollup) at every instant of a pass; the
-- future-timestamp check is relative to the later of T and the run's wall clock
-- (future_limit, exporter/instant.py), so a row stamped after a past T but not after the
-- wall clock is no issue. Only that check depends on the instant: the others are counted
-- once per pass, and it once per distinct limit (the past instants of a pass share one). Each row is
-- left out only of the numbers it would distort: see the views subscription_periods and
-- valid_sessions and the viral group's acceptance rule.
WITH instants AS (
    SELECT i.n, i.future_limit
    FROM unnest(%(n)s::integer[], %(future_limit)s::timestamptz[]) AS i (n, future_limit)
),
subs AS (
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
-- last refresh saw, plus those above its high-water mark, counted here. `seen` has no
-- row when the rollup does not describe the table as it is (never refreshed, or
-- truncated or rewritten since): then every session is counted here.
seen AS (
    SELECT r.high_water_id
    FROM rollup_state AS r
    WHERE r.source_table = 'user_sessions'
      AND r.source_filenode = session_storage()
      AND r.high_water_id IS NOT NULL
),
counted AS (
    SELECT q.not_exactly_one, q.nonpositive_duration
    FROM session_quality_days AS q
    WHERE EXISTS (SELECT FROM seen)
    UNION ALL
    SELECT count(*) FILTER (WHERE (s.supplier_id IS NULL) = (s.couple_id IS NULL)),
           count(*) FILTER (WHERE s.session_duration <= 0)
    FROM user_sessions AS s
    WHERE s.id > (SELECT seen.high_water_id FROM seen)
    UNION ALL
    SELECT count(*) FILTER (WHERE (s.supplier_id IS NULL) = (s.couple_id IS NULL)),
           count(*) FILTER (WHERE s.session_duration <= 0)
    FROM user_sessions AS s
    WHERE NOT EXISTS (SELECT FROM seen)
),
sessions AS (
    SELECT sum(c.not_exactly_one) AS not_exactly_one,
           sum(c.nonpositive_duration) AS nonpositive_duration
    FROM counted AS c
),
invites AS (
    SELECT count(*) FILTER (WHERE accepted_at < sent_at) AS accepted_before_sent
    FROM invitations
),
future AS (
    SELECT l.future_limit,
           (SELECT count(*) FROM suppliers WHERE created_at > l.future_limit)
         + (SELECT count(*) FROM couples WHERE created_at > l.future_limit)
         + (SELECT count(*) FROM user_sessions WHERE created_at > l.future_limit)
         + (SELECT count(*) FROM invitations WHERE sent_at > l.future_limit) AS rows
    FROM (SELECT DISTINCT i.future_limit FROM instants AS i) AS l
)
SELECT i.n, checks.check_name, checks.issues::double precision AS issues
FROM instants AS i
JOIN future ON future.future_limit = i.future_limit
CROSS JOIN subs CROSS JOIN rates CROSS JOIN sessions CROSS JOIN invites
CROSS JOIN LATERAL (VALUES
    (1, 'subscription_negative_amount', subs.negative_amount),
    (2, 'subscription_missing_fx_rate', subs.missing_fx_rate),
    (3, 'subscription_ended_before_started', subs.ended_before_started),
    (4, 'subscription_invalid_interval', subs.invalid_interval),
    (5, 'fx_rate_invalid', rates.invalid),
    (6, 'session_user_not_exactly_one', sessions.not_exactly_one),
    (7, 'session_nonpositive_duration', sessions.nonpositive_duration),
    (8, 'invitation_accepted_before_sent', invites.accepted_before_sent),
    (9, 'timestamp_in_future', future.rows)
) AS checks (position, check_name, issues)
ORDER BY i.n, checks.position;
