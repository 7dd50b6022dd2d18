-- The suppliers heard from in (since, t] (SPEC §6, the at-risk quiet period): a valid
-- session, or an invitation sent.
CREATE FUNCTION suppliers_heard_from(since timestamptz, t timestamptz)
RETURNS TABLE (supplier_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT s.supplier_id
FROM valid_sessions AS s
WHERE s.supplier_id IS NOT NULL AND s.created_at > since AND s.created_at <= t
UNION
SELECT i.supplier_id
FROM invitations AS i
WHERE i.sent_at > since AND i.sent_at <= t
$$;
