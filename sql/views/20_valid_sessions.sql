-- Sessions that belong to exactly one user (SPEC §3: a session with both or neither
-- of supplier_id / couple_id is left out of every user and engagement number).
-- supplier_id and couple_id (exactly one of them set) identify the user as
-- (user_type, user_id) do: grouping by the two integers is cheaper than by a text.
CREATE VIEW valid_sessions AS
SELECT s.id,
       CASE WHEN s.supplier_id IS NOT NULL THEN 'supplier' ELSE 'couple' END AS user_type,
       coalesce(s.supplier_id, s.couple_id) AS user_id,
       s.created_at,
       s.session_duration,
       s.supplier_id,
       s.couple_id
FROM user_sessions AS s
WHERE (s.supplier_id IS NULL) <> (s.couple_id IS NULL);
