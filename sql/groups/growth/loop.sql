-- The marketplace loop over W = (viral_start, T] (SPEC §6). One row.
-- k_unique: distinct non-NULL couple ids over the invitations K counts as accepted
-- (sent in W, accepted at or before T and not before sent) / suppliers active in W;
-- 0 when none was accepted, absent when no supplier was active.
-- couple liquidity: among couples active in W, the share with an invitation accepted at
-- or before T (and not before it was sent) from a supplier paying at T.
-- supplier liquidity: among suppliers paying at T, the share with an invitation
-- accepted in W (and not before it was sent).
WITH paying AS (
    SELECT p.supplier_id FROM paying_suppliers(%(t)s) AS p
),
accepted_in_k AS (
    SELECT count(DISTINCT i.couple_id) AS couples
    FROM invitations AS i
    WHERE i.sent_at > %(viral_start)s AND i.sent_at <= %(t)s
      AND accepted_by(i.sent_at, i.accepted_at, %(t)s)
),
active AS (
    SELECT s.supplier_id, s.couple_id
    FROM valid_sessions AS s
    WHERE s.created_at > %(viral_start)s AND s.created_at <= %(t)s
    GROUP BY s.supplier_id, s.couple_id
),
-- Suppliers with an invitation accepted in W.
linked_suppliers AS (
    SELECT DISTINCT i.supplier_id
    FROM invitations AS i
    WHERE i.accepted_at > %(viral_start)s AND accepted_by(i.sent_at, i.accepted_at, %(t)s)
),
active_couples AS (
    SELECT a.couple_id FROM active AS a WHERE a.couple_id IS NOT NULL
),
-- The active couples with an invitation accepted by T from a supplier paying at T: the
-- invitations are matched to the paying suppliers and the active couples (two hashed
-- sets), and only the matches are made distinct.
couples AS (
    SELECT (SELECT count(*) FROM active_couples) AS active,
           (SELECT count(DISTINCT i.couple_id)
            FROM invitations AS i
            WHERE i.supplier_id IN (SELECT p.supplier_id FROM paying AS p)
              AND i.couple_id IN (SELECT a.couple_id FROM active_couples AS a)
              AND accepted_by(i.sent_at, i.accepted_at, %(t)s)) AS matched
),
suppliers AS (
    SELECT (SELECT count(*) FROM active AS a WHERE a.supplier_id IS NOT NULL) AS active,
           count(*) AS paying,
           count(l.supplier_id) AS matched
    FROM paying AS p
    LEFT JOIN linked_suppliers AS l ON l.supplier_id = p.supplier_id
)
SELECT (accepted_in_k.couples::numeric / nullif(suppliers.active, 0))::double precision
           AS k_unique,
       (couples.matched::numeric / nullif(couples.active, 0))::double precision
           AS couple_liquidity,
       (suppliers.matched::numeric / nullif(suppliers.paying, 0))::double precision
           AS supplier_liquidity
FROM accepted_in_k CROSS JOIN couples CROSS JOIN suppliers;
