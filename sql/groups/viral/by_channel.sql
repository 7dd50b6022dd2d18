-- Invitations sent in W and accepted by T, by channel: the top_n channels by sent keep
-- their name, the rest are summed as 'other'; a missing channel is 'unknown'.
WITH per_channel AS (
    SELECT coalesce(i.channel, 'unknown') AS channel,
           count(*) AS sent,
           count(*) FILTER (
               WHERE i.accepted_at <= %(t)s AND i.accepted_at >= i.sent_at
           ) AS accepted
    FROM invitations AS i
    WHERE i.sent_at > %(viral_start)s AND i.sent_at <= %(t)s
    GROUP BY 1
),
ranked AS (
    SELECT *, row_number() OVER (ORDER BY sent DESC, channel) AS rank FROM per_channel
)
SELECT CASE WHEN rank <= %(top_n)s THEN channel ELSE 'other' END AS channel,
       sum(sent)::double precision AS sent,
       sum(accepted)::double precision AS accepted
FROM ranked
GROUP BY 1
ORDER BY 1;
