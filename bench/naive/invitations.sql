-- Invitations sent in the last 30 days, and those of them accepted by T.
SELECT count(*) AS invitations_sent,
       count(*) FILTER (WHERE i.accepted_at >= i.sent_at AND i.accepted_at <= %(at)s::timestamptz)
           AS invitations_accepted
FROM invitations AS i
WHERE i.sent_at > %(at)s::timestamptz - interval '30 days' AND i.sent_at <= %(at)s::timestamptz
