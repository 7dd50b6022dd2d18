-- Take the refresh lease when nobody claimed it within %(min_gap_seconds)s; returns a
-- row only to the replica that got it. The lease runs on the database's clock (one
-- clock for every replica), not on the evaluation instant T: it schedules work, it
-- computes no metric. Concurrent claims serialise on the row lock and the loser's
-- WHERE is re-checked against the winner's fresh claim.
INSERT INTO refresh_lease AS l (singleton, holder, claimed_at)
VALUES (true, %(holder)s, clock_timestamp())
ON CONFLICT (singleton) DO UPDATE
    SET holder = excluded.holder, claimed_at = excluded.claimed_at
    WHERE l.claimed_at <= clock_timestamp() - make_interval(secs => %(min_gap_seconds)s)
RETURNING l.holder
