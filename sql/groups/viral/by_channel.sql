-- Invitations sent in W and accepted by T, by channel: the top_n channels by sent keep
-- their name, the rest are summed as 'other'; a missing or blank channel is 'unknown'
-- (label_buckets, label_value).
WITH per_channel AS (
    SELECT label_value(i.channel) AS channel,
           count(*) AS sent,
           count(*) FILTER (WHERE accepted_by(i.sent_at, i.accepted_at, %(t)s)) AS accepted
    FROM invitations AS i
    WHERE i.sent_at > %(viral_start)s AND i.sent_at <= %(t)s
    GROUP BY 1
),
buckets AS (
    SELECT * FROM label_buckets((SELECT jsonb_object_agg(channel, sent) FROM per_channel), %(top_n)s)
)
SELECT b.bucket AS channel,
       sum(c.sent)::double precision AS sent,
       sum(c.accepted)::double precision AS accepted
FROM per_channel AS c
JOIN buckets AS b ON b.label = c.channel
GROUP BY 1
ORDER BY 1;
