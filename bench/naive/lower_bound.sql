-- The floor under any cycle of the core definitions: one pass over only the rows they
-- read (sessions and invitations of the last 30 days, every subscription, every rate),
-- touching the columns they need and computing nothing but a sum.
SELECT (SELECT sum(coalesce(s.supplier_id, s.couple_id) + coalesce(s.session_duration, 0))
        FROM user_sessions AS s
        WHERE s.created_at > %(at)s::timestamptz - interval '30 days'
          AND s.created_at <= %(at)s::timestamptz) AS sessions,
       (SELECT sum(s.amount_minor + s.interval_months)
        FROM subscriptions AS s
        WHERE s.started_at <= %(at)s::timestamptz) AS subscriptions,
       (SELECT sum(r.rate) FROM fx_rates AS r) AS rates,
       (SELECT sum(i.supplier_id + extract(epoch FROM coalesce(i.accepted_at, i.sent_at)))
        FROM invitations AS i
        WHERE i.sent_at > %(at)s::timestamptz - interval '30 days'
          AND i.sent_at <= %(at)s::timestamptz) AS invitations
