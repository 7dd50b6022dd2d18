-- The viral loop over the window W = (viral_start, T] (SPEC §3).
-- sent: invitations sent in W; accepted: those of them accepted at or before T, and
-- not before they were sent; active suppliers: distinct suppliers with a session in W.
WITH invites AS (
    SELECT count(*) AS sent,
           count(*) FILTER (WHERE accepted_by(i.sent_at, i.accepted_at, %(t)s)) AS accepted
    FROM invitations AS i
    WHERE i.sent_at > %(viral_start)s AND i.sent_at <= %(t)s
),
active AS (
    SELECT count(DISTINCT s.user_id) AS suppliers
    FROM valid_sessions AS s
    WHERE s.user_type = 'supplier'
      AND s.created_at > %(viral_start)s AND s.created_at <= %(t)s
)
SELECT invites.sent::double precision AS sent,
       invites.accepted::double precision AS accepted,
       (invites.sent::numeric / nullif(active.suppliers, 0))::double precision
           AS invites_per_supplier,
       (invites.accepted::numeric / nullif(invites.sent, 0))::double precision AS conversion,
       -- K = invites per supplier x conversion = accepted / active suppliers: 0 when
       -- nothing was sent, absent only when no supplier was active.
       (invites.accepted::numeric / nullif(active.suppliers, 0))::double precision
           AS viral_coefficient
FROM invites CROSS JOIN active;
