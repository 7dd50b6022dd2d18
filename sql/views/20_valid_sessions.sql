-- Sessions that belong to exactly one user (SPEC §3: a session with both or neither
-- of supplier_id / couple_id is left out of every user and engagement number).
CREATE VIEW valid_sessions AS
SELECT s.id,
       CASE WHEN s.supplier_id IS NOT NULL THEN 'supplier' ELSE 'couple' END AS user_type,
       coalesce(s.supplier_id, s.couple_id) AS user_id,
       s.created_at,
       s.session_duration
FROM user_sessions AS s
WHERE (s.supplier_id IS NULL) <> (s.couple_id IS NULL);
