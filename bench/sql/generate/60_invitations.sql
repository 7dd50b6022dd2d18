-- Invitations: evenly spread; two in five accepted after an exponential delay (mean 2 days),
-- unless that falls after the end of the history.
INSERT INTO invitations (id, supplier_id, couple_id, channel, sent_at, accepted_at)
SELECT g,
       1 + floor(power(random(), 2) * %(suppliers)s)::bigint,
       CASE WHEN a.accepted_at <= %(end)s::timestamptz
            THEN 1 + floor(random() * %(couples)s)::bigint END,
       (ARRAY['email', 'email', 'whatsapp', 'link', 'sms', NULL])[1 + floor(random() * 6)::int],
       a.sent_at,
       CASE WHEN a.accepted_at <= %(end)s::timestamptz THEN a.accepted_at END
FROM generate_series(1, %(invitations)s) AS g
CROSS JOIN LATERAL (
    SELECT %(end)s::timestamptz - make_interval(days => %(days)s)
           + make_interval(secs => %(days)s * 86400.0 * (g - random()) / %(invitations)s) AS sent_at
) AS s
CROSS JOIN LATERAL (
    SELECT CASE WHEN random() < 0.4 AND g > 0
                THEN s.sent_at + make_interval(secs => -ln(1 - random()) * 172800) END AS accepted_at,
           s.sent_at
) AS a
