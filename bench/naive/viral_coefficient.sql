-- K over 30 days: invitations sent in the window and accepted by T, per supplier active
-- in the window.
SELECT (SELECT count(*) FROM invitations AS i
        WHERE i.sent_at > %(at)s::timestamptz - interval '30 days'
          AND i.sent_at <= %(at)s::timestamptz
          AND i.accepted_at >= i.sent_at AND i.accepted_at <= %(at)s::timestamptz)::float8
       / nullif((SELECT count(DISTINCT s.supplier_id) FROM user_sessions AS s
                 WHERE s.created_at > %(at)s::timestamptz - interval '30 days'
                   AND s.created_at <= %(at)s::timestamptz
                   AND s.supplier_id IS NOT NULL AND s.couple_id IS NULL), 0)
           AS viral_coefficient
