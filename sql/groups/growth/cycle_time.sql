-- Viral cycle time (SPEC §6): over invitations accepted in (T - W, T] and not before
-- they were sent, the quantiles of accepted_at - sent_at in seconds, by linear
-- interpolation between closest ranks (percentile_cont). Absent when none qualifies.
WITH lags AS (
    SELECT extract(epoch FROM i.accepted_at - i.sent_at)::double precision AS seconds
    FROM invitations AS i
    WHERE i.accepted_at > %(viral_start)s AND accepted_by(i.sent_at, i.accepted_at, %(t)s)
),
quantiles AS (
    SELECT q.label, q.fraction
    FROM unnest(%(cycle_quantile_labels)s::text[], %(cycle_quantiles)s::double precision[])
        AS q (label, fraction)
)
SELECT q.label AS quantile,
       (SELECT percentile_cont(q.fraction) WITHIN GROUP (ORDER BY l.seconds) FROM lags AS l)
           AS seconds
FROM quantiles AS q
ORDER BY q.fraction;
